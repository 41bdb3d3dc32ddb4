// Tables an operator reads on a terminal (cli-table3): a header row, no vertical rules, and the
// flexible columns (file names, units) wrapped so a row fits the terminal's width; an optional
// column is left out when there is no room for it (`--json` has every field).
import Table from 'cli-table3';

const WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u;

/** Columns a string takes on a terminal (CJK characters take two). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += WIDE.test(ch) ? 2 : 1;
  return w;
}

/** Lines of at most `width` columns, broken after a space, @, - or _ where possible, else anywhere. */
export function wrapCell(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const token of text.split(/(?<=[ @\-_])/u)) {
    if (displayWidth(line + token) <= width) {
      line += token;
      continue;
    }
    if (line) lines.push(line.trimEnd());
    line = '';
    for (const ch of token) {
      if (displayWidth(line + ch) > width) {
        lines.push(line);
        line = '';
      }
      line += ch;
    }
  }
  if (line) lines.push(line.trimEnd());
  return lines.join('\n');
}

const PAD = 2;
const MIN_FLEX = 14;

export interface Column {
  readonly head: string;
  /** Shrinks (its cells wrap) when the table is wider than the terminal. */
  readonly flex?: boolean;
  /** Left out when the other columns leave it less than its minimum. */
  readonly optional?: boolean;
  readonly align?: 'left' | 'right';
}

/** The terminal's width; 120 when the output is not a terminal (a pager, a file). */
export const terminalWidth = () => process.stdout.columns || Number(process.env.COLUMNS) || 120;

export function renderTable(all: readonly Column[], allRows: readonly (readonly string[])[], width = terminalWidth()): string {
  const natural = (i: number) => Math.max(displayWidth(all[i].head), ...allRows.map((r) => displayWidth(r[i] ?? ''))) + PAD;
  let keep = all.map((_, i) => i);
  const fits = (idx: number[]) => idx.reduce((n, i) => n + (all[i].flex ? Math.min(natural(i), MIN_FLEX + PAD) : natural(i)), 0) <= width;
  for (let i = all.length - 1; i >= 0 && !fits(keep); i--) if (all[i].optional) keep = keep.filter((k) => k !== i);
  const columns = keep.map((i) => all[i]);
  const rows = allRows.map((r) => keep.map((i) => r[i] ?? ''));
  const nat = keep.map(natural);
  const fixed = nat.reduce((n, w, i) => n + (columns[i].flex ? 0 : w), 0);
  const flexNatural = nat.reduce((n, w, i) => n + (columns[i].flex ? w : 0), 0);
  const squeeze = fixed + flexNatural > width;
  const widths = nat.map((w, i) => (columns[i].flex && squeeze ? Math.max(MIN_FLEX + PAD, Math.floor((w / flexNatural) * (width - fixed))) : w));
  const table = new Table({
    head: columns.map((c, i) => (c.flex ? wrapCell(c.head, widths[i] - PAD) : c.head)),
    colWidths: widths,
    colAligns: columns.map((c) => c.align ?? 'left'),
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': PAD },
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
    },
  });
  table.push(...rows.map((r) => r.map((cell, i) => (columns[i].flex ? wrapCell(cell, widths[i] - PAD) : cell))));
  return table.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}
