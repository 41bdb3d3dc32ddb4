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

/**
 * The file's columns a report repeats, and a rejected row's cells under them. A correction uploaded as
 * a report brings the 行号 and 错误原因 of the report it came from: its own report leaves those out and
 * adds its own, so that every round's report has one of each (the earlier rounds stay linked in the
 * store: store/batch-load.ts).
 */
export interface ReportLayout {
  readonly headers: readonly string[];
  readonly cells: (cells: readonly string[]) => string[];
}

export function reportLayout(fileHeaders: readonly string[]): ReportLayout {
  const keep = fileHeaders.flatMap((h, i) => (REPORT_COLUMNS.includes(h.trim()) ? [] : [i]));
  const headers = keep.map((i) => fileHeaders[i]);
  return {
    headers,
    // A malformed record has one raw cell: it goes in the first column, padded to the header's width.
    // Cells past the file's columns are kept after them.
    cells: (cells) => (cells.length === 1 && fileHeaders.length > 1
      ? Array.from({ length: headers.length }, (_, i) => (i === 0 ? cells[0] : ''))
      : [...keep.map((i) => cells[i] ?? ''), ...cells.slice(fileHeaders.length)]),
  };
}

export function reportHeader(layout: ReportLayout): string {
  return REPORT_BOM + csvLine([...layout.headers, ...REPORT_COLUMNS]);
}

export const reasonText = (issues: readonly RowIssue[]) => issues.map((i) => i.messageZh).join('；');

export function reportLine(layout: ReportLayout, line: number, cells: readonly string[], issues: readonly RowIssue[]): string {
  return csvLine([...layout.cells(cells), String(line), reasonText(issues)]);
}
