// The rejection report as an Excel workbook, streamed: 行号 and 错误原因 first, then the file's own
// columns, every cell stored as text in a text-formatted column (so an 18-digit code stays 18 digits
// when the clerk edits and saves), the header frozen, and a second sheet explaining each code that
// occurs. Saved as it is, it uploads as a correction (the two report columns are recognised).
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { ISSUES, issueMessages, type IssueCode } from './issues.ts';
import { reasonText, REPORT_COLUMNS, type ReportLayout } from './report.ts';
import type { RowIssue } from './types.ts';

export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const REPORT_SHEET = '错误报告';
export const CODES_SHEET = '错误代码说明';

const TEXT = { numFmt: '@' } as const;
const HEADER_FILL = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF7' } } as const;
const BAD_FILL = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFC7CE' } } as const;

/** A catalogue message with its placeholders named, as docs/errors.md shows them. */
export function messageTemplate(code: IssueCode): { zh: string; en: string } {
  const m = issueMessages(code, { column: '〈列名〉', value: '〈值〉', detail: '〈详情〉' });
  return { zh: m.messageZh, en: m.messageEn };
}

const SEVERITY_ZH = { error: '该行被拒绝', warning: '警告（该行已入库）', refusal: '整批退回' } as const;

export interface ReportRow {
  readonly line: number;
  readonly cells: readonly string[];
  readonly issues: readonly RowIssue[];
}

/** Writes the workbook to `out` (ended when done). */
export async function writeXlsxReport(out: Writable, layout: ReportLayout, rows: AsyncIterable<ReportRow>): Promise<void> {
  const { headers } = layout;
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  wb.creator = 'credit-etl';
  const ws = wb.addWorksheet(REPORT_SHEET, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  const names = [...REPORT_COLUMNS, ...headers];
  ws.columns = names.map((h, i) => ({ header: h, key: `c${i}`, width: i === 0 ? 8 : i === 1 ? 48 : Math.min(40, Math.max(12, h.length * 2 + 4)), style: TEXT }));
  const head = ws.getRow(1);
  head.font = { bold: true };
  head.eachCell((c) => (c.fill = HEADER_FILL));
  head.commit();
  const counts = new Map<IssueCode, number>();
  for await (const r of rows) {
    for (const code of new Set(r.issues.map((i) => i.code))) counts.set(code, (counts.get(code) ?? 0) + 1);
    const row = ws.addRow([String(r.line), reasonText(r.issues), ...layout.cells(r.cells)]);
    const bad = new Set(r.issues.map((i) => i.column).filter((c) => c !== null));
    // Every cell text-formatted, also past the header's width (a malformed record's raw text); the
    // cells an issue names are marked, so the clerk sees what to change.
    row.eachCell({ includeEmpty: true }, (c, col) => {
      c.numFmt = '@';
      if (col > REPORT_COLUMNS.length && bad.has(headers[col - 1 - REPORT_COLUMNS.length]?.trim())) c.fill = BAD_FILL;
    });
    row.commit();
  }
  ws.commit();

  const codes = wb.addWorksheet(CODES_SHEET, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  codes.columns = [
    { header: '错误代码', key: 'code', width: 26, style: TEXT },
    { header: '处理方式', key: 'severity', width: 18, style: TEXT },
    { header: '行数', key: 'rows', width: 8, style: TEXT },
    { header: '说明', key: 'zh', width: 80, style: TEXT },
    { header: 'Explanation', key: 'en', width: 80, style: TEXT },
  ];
  codes.getRow(1).font = { bold: true };
  codes.getRow(1).commit();
  for (const code of Object.keys(ISSUES) as IssueCode[]) {
    const n = counts.get(code);
    if (n === undefined) continue;
    const t = messageTemplate(code);
    codes.addRow({ code, severity: SEVERITY_ZH[ISSUES[code].severity], rows: String(n), zh: t.zh, en: t.en }).commit();
  }
  codes.addRow({}).commit();
  codes.addRow({ code: '修改后重新报送', zh: '直接在本表修改标红的单元格后保存为 .xlsx 上传即可：「行号」「错误原因」两列会被识别并忽略，系统据此把原批次中对应的错误行标记为已更正。请勿删除「行号」列。' }).commit();
  codes.commit();
  await wb.commit();
}
