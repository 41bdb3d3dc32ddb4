// A bank's borrower list, as a CSV (UTF-8 or GBK, as Excel/WPS save it) or an .xlsx sheet, read into
// watches. Columns are found by their Chinese or English names; only the USCC is required. Each bad
// row is reported with its line, column, value and why, in Chinese and in English.
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { usccProblem } from '../lib/checks.ts';
import { createDecoder, detectEncoding } from '../pipelines/stages/decode.ts';
import { cellText, dateText, defaultSheet } from '../pipelines/stages/read-xlsx.ts';
import { foldLabel } from '../schemas/registry.ts';
import { isEventType, type EventType } from './classify.ts';

export interface WatchInput {
  readonly subjectUscc: string;
  readonly eventTypes: readonly EventType[];
  readonly loanRef?: string;
  readonly activeFrom?: string;
  readonly activeUntil?: string;
}

export interface WatchListProblem {
  readonly line: number;
  readonly column: string;
  readonly value: string;
  readonly messageZh: string;
  readonly messageEn: string;
}

const COLUMNS = {
  subjectUscc: ['统一社会信用代码', '信用代码', 'uscc', 'subject_uscc'],
  loanRef: ['贷款编号', '借据号', '合同编号', 'loan_ref', 'loan'],
  eventTypes: ['事件类型', '预警类型', 'event_types', 'types'],
  activeFrom: ['起始日期', '监测起始日期', 'from', 'active_from'],
  activeUntil: ['截止日期', '监测截止日期', '到期日期', 'until', 'active_until'],
} as const;
type Column = keyof typeof COLUMNS;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** One watch from its cells; problems name the column as the list named it. */
export function watchFromCells(get: (c: Column) => string, line: number, header: (c: Column) => string): { watch?: WatchInput; problems: WatchListProblem[] } {
  const problems: WatchListProblem[] = [];
  const bad = (c: Column, value: string, zh: string, en: string) => problems.push({ line, column: header(c), value, messageZh: zh, messageEn: en });
  const uscc = get('subjectUscc').trim().toUpperCase();
  const why = usccProblem(uscc);
  if (why) bad('subjectUscc', uscc, '统一社会信用代码无效（应为18位且校验位正确）', `not a valid USCC (${why})`);
  const types = get('eventTypes').split(/[,，、;；\s]+/).filter(Boolean);
  for (const t of types) if (!isEventType(t)) bad('eventTypes', t, `未知的事件类型“${t}”`, `unknown event type "${t}"`);
  const from = get('activeFrom').trim();
  const until = get('activeUntil').trim();
  const isDate = (v: string) => DATE.test(v) && !Number.isNaN(Date.parse(v));
  for (const [c, v] of [['activeFrom', from], ['activeUntil', until]] as const) {
    if (v && !isDate(v)) bad(c, v, '日期格式应为 YYYY-MM-DD', 'a date must be YYYY-MM-DD');
  }
  if (isDate(from) && isDate(until) && until < from) bad('activeUntil', until, '截止日期早于起始日期', 'the end date is before the start date');
  if (problems.length) return { problems };
  const loanRef = get('loanRef').trim();
  return { problems, watch: { subjectUscc: uscc, eventTypes: types as EventType[], loanRef: loanRef || undefined, activeFrom: from || undefined, activeUntil: until || undefined } };
}

/** Watches from a table whose first row is the header. */
export function watchesFromTable(rows: readonly (readonly string[])[]): { watches: WatchInput[]; problems: WatchListProblem[] } {
  const [head = [], ...body] = rows;
  const index = new Map<Column, number>();
  head.forEach((h, i) => {
    for (const [c, names] of Object.entries(COLUMNS) as [Column, readonly string[]][]) {
      if (names.some((n) => foldLabel(n) === foldLabel(h)) && !index.has(c)) index.set(c, i);
    }
  });
  if (!index.has('subjectUscc')) {
    return { watches: [], problems: [{ line: 1, column: '统一社会信用代码', value: head.join(','), messageZh: '名单缺少“统一社会信用代码”列', messageEn: 'the list has no 统一社会信用代码 (USCC) column' }] };
  }
  const watches: WatchInput[] = [];
  const problems: WatchListProblem[] = [];
  body.forEach((cells, i) => {
    if (cells.every((c) => c.trim() === '')) return;
    const r = watchFromCells((c) => (index.has(c) ? cells[index.get(c)!] ?? '' : ''), i + 2, (c) => (index.has(c) ? head[index.get(c)!] : COLUMNS[c][0]));
    if (r.watch) watches.push(r.watch);
    problems.push(...r.problems);
  });
  return { watches, problems };
}

/** A cell as the upload reader reads it, except that a date is the day: a watch period has no time of day. */
const listCell = (v: unknown): string => (v instanceof Date ? dateText(v).slice(0, 10) : cellText(v));

/** The rows of a list file: .xlsx (the first sheet that is not hidden) or CSV in UTF-8 or GBK. */
export async function readListFile(name: string, content: Buffer): Promise<string[][]> {
  if (/\.xlsx$/i.test(name)) {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(content as unknown as ArrayBuffer);
    const ws = defaultSheet(wb.worksheets, (w) => w.state);
    const out: string[][] = [];
    ws?.eachRow({ includeEmpty: true }, (row) => {
      const cells: string[] = [];
      for (let c = 1; c <= ws.columnCount; c++) cells.push(listCell(row.getCell(c).value).trim());
      out.push(cells);
    });
    return out;
  }
  const { encoding } = detectEncoding(content, true);
  const decode = createDecoder(encoding);
  const text = decode(content) + decode(null);
  return parse(text.replace(/^\ufeff/, ''), { relax_column_count: true, skip_empty_lines: true });
}
