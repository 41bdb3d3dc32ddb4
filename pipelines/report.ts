// The rejection report a clerk opens in Excel: the file's own headers, then 行号 and 错误原因.
import type { RowIssue } from './types.ts';

/** Excel runs a cell starting with = + - @ (or tab/CR) as a formula; a leading apostrophe keeps it text. */
export function neutraliseCell(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
const csvLine = (cells: readonly string[]) => cells.map((c) => csvCell(neutraliseCell(c))).join(',') + '\r\n';

export const REPORT_BOM = '\ufeff';

export function reportHeader(headers: readonly string[]): string {
  return REPORT_BOM + csvLine([...headers, '行号', '错误原因']);
}

export function reportLine(width: number, line: number, cells: readonly string[], issues: readonly RowIssue[]): string {
  // A malformed record has one raw cell: it goes in the first column, padded to the header's width.
  const padded = Array.from({ length: Math.max(width, cells.length) }, (_, i) => cells[i] ?? '');
  return csvLine([...padded, String(line), issues.map((i) => i.messageZh).join('；')]);
}
