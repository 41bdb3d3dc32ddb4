// The template a clerk starts from, per category, derived from the schemas so that a field the annex
// adds or renames shows up here too: the fields' Chinese headers, one example row that passes
// validation (the schemas' examples; the source unit left empty, which means the delivering unit),
// and in the workbook a second sheet describing each field with its rules.
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { KINDS, typeOf } from './contract.ts';
import type { CategorySpec, FieldSpec } from './registry.ts';

/** The example value of a field in the template's row ('' where the field is best left to the deliverer). */
function exampleOf(spec: CategorySpec, f: FieldSpec): string {
  if (f.key === spec.sourceUnitField || f.key === `${spec.sourceUnitField}_uscc`) return '';
  return f.example ?? '';
}

export function templateHeaders(spec: CategorySpec): string[] {
  return spec.fields.map((f) => f.labelZh);
}

export function templateExample(spec: CategorySpec): string[] {
  return spec.fields.map((f) => exampleOf(spec, f));
}

/** One line per field: what the field sheet and the documentation say about it. */
export function fieldRules(spec: CategorySpec): { header: string; key: string; required: string; type: string; rule: string; codes: string; aliases: string; example: string }[] {
  return spec.fields.map((f) => ({
    header: f.labelZh,
    key: f.key,
    required: f.required ? '必填' : '选填',
    type: typeOf(f),
    rule: [KINDS[f.kind]?.description, f.description, f.key === spec.sourceUnitField ? 'empty: the delivering unit itself' : undefined].filter(Boolean).join('；'),
    codes: f.codelist ? `${f.codelist.values.map((v) => v.code).join('、')}${f.codelist.openPrefix ? `、${f.codelist.openPrefix}…` : ''}` : '',
    aliases: f.aliases.join('、'),
    example: exampleOf(spec, f),
  }));
}

const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/** UTF-8 with a byte order mark, so that Excel opens the Chinese headers right. */
export function templateCsv(spec: CategorySpec): string {
  return `\ufeff${[templateHeaders(spec), templateExample(spec)].map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

export async function writeTemplateXlsx(out: Writable, spec: CategorySpec): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  wb.creator = 'credit-etl';
  const ws = wb.addWorksheet(spec.labelZh, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  // Text-formatted columns: codes and ID numbers typed in stay as typed.
  ws.columns = spec.fields.map((f) => ({ header: f.labelZh, key: f.key, width: Math.min(40, Math.max(12, f.labelZh.length * 2 + 4)), style: { numFmt: '@' } }));
  const head = ws.getRow(1);
  head.font = { bold: true };
  spec.fields.forEach((f, i) => {
    if (f.required) head.getCell(i + 1).font = { bold: true, color: { argb: 'FFB42318' } };
  });
  head.commit();
  ws.addRow(templateExample(spec)).commit();
  ws.commit();
  const fs = wb.addWorksheet('字段说明', { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  fs.columns = [
    { header: '列名', key: 'header', width: 28 }, { header: '英文键', key: 'key', width: 22 }, { header: '必填', key: 'required', width: 8 },
    { header: '类型', key: 'type', width: 22 }, { header: 'Rule (English)', key: 'rule', width: 60 }, { header: '可填代码', key: 'codes', width: 40 },
    { header: '也可用的列名', key: 'aliases', width: 40 }, { header: '示例', key: 'example', width: 30 },
  ].map((c) => ({ ...c, style: { numFmt: '@' } }));
  fs.getRow(1).font = { bold: true };
  fs.getRow(1).commit();
  for (const r of fieldRules(spec)) fs.addRow(r).commit();
  fs.addRow({}).commit();
  fs.addRow({ header: '说明', rule: `第一行为表头（红色为必填列），第二行为示例，请替换为实际数据。列的顺序不限；表头也可用“也可用的列名”。类别：${spec.labelZh}（${spec.id}），版本 ${spec.version}。` }).commit();
  fs.commit();
  await wb.commit();
}
