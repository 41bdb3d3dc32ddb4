// The rejection report a clerk opens in Excel: the file's own headers, then 行号 and 错误原因 (CSV);
// the .xlsx report (report-xlsx.ts) puts those two first. Both come back as corrections.
import type { RowIssue } from './types.ts';

/** The report's own columns: the original line of the row, and why it was rejected. */
export const REPORT_LINE_COLUMN = '行号';
export const REPORT_REASON_COLUMN = '错误原因';
export const REPORT_COLUMNS: readonly string[] = [REPORT_LINE_COLUMN, REPORT_REASON_COLUMN];

const FORMULA_START = /^[=+\-@\t\r]/;

/** Excel runs a cell starting with = + - @ (or tab/CR) as a formula; a leading apostrophe keeps it text. */
export function neutraliseCell(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/**
 * The inverse, applied to every delivered cell: an apostrophe followed by = + - @ (or tab/CR) is the
 * one neutraliseCell added (Excel shows it in a CSV and saves it back), so it is dropped. A value that
 * really starts with an apostrophe and one of those characters cannot be delivered (docs/errors.md).
 */
export function restoreNeutralised(cell: string): string {
  return cell.charCodeAt(0) === 0x27 && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}

const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
const csvLine = (cells: readonly string[]) => cells.map((c) => csvCell(neutraliseCell(c))).join(',') + '\r\n';

export const REPORT_BOM = '\ufeff';

export function reportHeader(headers: readonly string[]): string {
  return REPORT_BOM + csvLine([...headers, ...REPORT_COLUMNS]);
}

/** A malformed record has one raw cell: it goes in the first column, padded to the header's width. */
export const paddedCells = (width: number, cells: readonly string[]) => Array.from({ length: Math.max(width, cells.length) }, (_, i) => cells[i] ?? '');

export const reasonText = (issues: readonly RowIssue[]) => issues.map((i) => i.messageZh).join('；');

export function reportLine(width: number, line: number, cells: readonly string[], issues: readonly RowIssue[]): string {
  return csvLine([...paddedCells(width, cells), String(line), reasonText(issues)]);
}
