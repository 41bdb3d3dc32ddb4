// A provider clerk's file: clean penalty records with a few cells broken the way clerks break them
// (an 18-digit code turned into scientific notation by Excel, an impossible date, an empty required
// cell, a wrong check character), the fixes that undo them, and writers for CSV and .xlsx.
import ExcelJS from 'exceljs';
import { expect } from 'vitest';
import { cleanRecords } from '../../testkit/generate-fixtures.ts';
import { normalizeRecord } from '../../pipelines/stages/normalize.ts';
import { category } from '../../schemas/registry.ts';
import type { Db } from '../../store/db.ts';
import { allReadable } from './records.ts';

export const penalty = category('penalty');
export const HEADERS = penalty.fields.map((f) => f.labelZh);

export interface ClerkFile {
  /** Rows by field key, as the clerk should have delivered them. */
  readonly fixed: Record<string, string>[];
  /** The same rows as delivered, broken cells and all. */
  readonly delivered: Record<string, string>[];
  /** Index of each broken row -> the fields broken in it. */
  readonly broken: ReadonlyMap<number, readonly string[]>;
}

/** `n` clean records; rows 1, 3, 5, 7 broken. Remarks starting with "-" or "=" (which the CSV report neutralises) ride along. */
export function clerkFile(n = 10): ClerkFile {
  const fixed = cleanRecords('penalty').slice(0, n).map((r) => ({ ...r }));
  if (n > 0) fixed[0].remarks = '=见附件';
  if (n > 3) fixed[3].remarks = '-37';
  const delivered = fixed.map((r) => ({ ...r }));
  const breaks: [number, string, (v: string) => string][] = [
    [1, 'subject_uscc', () => '9.1371325002061E+17'],
    [3, 'decision_date', () => '2024-13-45'],
    [5, 'violation_facts', () => ''],
    [7, 'subject_uscc', (v) => `${v.slice(0, 17)}${v[17] === 'X' ? 'Y' : 'X'}`],
  ];
  const broken = new Map<number, string[]>();
  for (const [i, key, f] of breaks.filter(([i]) => i < n)) {
    delivered[i][key] = f(delivered[i][key]);
    broken.set(i, [...(broken.get(i) ?? []), key]);
  }
  return { fixed, delivered, broken };
}

const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
export function toCsv(rows: readonly Record<string, string>[]): Buffer {
  const lines = [HEADERS, ...rows.map((r) => penalty.fields.map((f) => r[f.key] ?? ''))];
  return Buffer.from(`${lines.map((l) => l.map(csvCell).join(',')).join('\r\n')}\r\n`);
}

/** A workbook as a clerk keeps it: a title row above the header is not there, but an empty row in the data is. */
export async function toXlsx(rows: readonly Record<string, string>[], opts: { sheet?: string; blankAfter?: number } = {}): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(opts.sheet ?? '行政处罚');
  ws.addRow(HEADERS);
  rows.forEach((r, i) => {
    ws.addRow(penalty.fields.map((f) => r[f.key] ?? ''));
    if (opts.blankAfter === i) ws.addRow([]);
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Fixes the rejection report in place: each row's broken cells (found by 行号) get the clerk's right values. */
export async function fixXlsxReport(report: Buffer, file: ClerkFile, lineOf: (index: number) => number): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(report as unknown as ArrayBuffer);
  const ws = wb.worksheets[0];
  const header = (ws.getRow(1).values as unknown[]).map((v) => String(v ?? ''));
  ws.eachRow((row, n) => {
    if (n === 1) return;
    const line = Number(row.getCell(1).value);
    const i = [...file.broken.keys()].find((k) => lineOf(k) === line);
    if (i === undefined) throw new Error(`report row ${n} names line ${line}, which was not broken`);
    for (const key of file.broken.get(i)!) row.getCell(header.indexOf(penalty.field.get(key)!.labelZh)).value = file.fixed[i][key];
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/**
 * Every fixed row is in the store as the clerk meant it: each field is what the fixed cell reads as
 * (its canonical form: 2022/7/20 is stored 2022-07-20), the remarks and codes character for
 * character: no apostrophe, no changed digit.
 */
export async function expectStoredAsFixed(db: Db, file: ClerkFile): Promise<void> {
  const stored = allReadable(await db.knex('credit_records').where({ category: 'penalty' }).select('category', 'subject_uscc', 'fields'));
  for (const row of file.fixed) {
    const rec = stored.find((s) => s.subject_uscc === row.subject_uscc && s.fields.decision_no === row.decision_no);
    expect(rec, `${row.subject_uscc} ${row.decision_no}`).toBeDefined();
    expect(rec.fields, row.decision_no).toEqual(normalizeRecord(penalty, row).fields);
    for (const key of ['subject_uscc', 'remarks', 'authority_uscc', 'legal_rep_id_number', 'decision_no']) {
      expect(rec.fields[key] ?? '', `${row.decision_no} ${key}`).toBe(row[key]);
    }
  }
}
