// Rows of the penalty fixture, and the edits the store tests deliver them with: a changed
// 行政处罚内容 (a new version of the record), a bad USCC (a rejected row), written back as CSV.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { fixture } from './ingest.ts';

export const [penaltyHeader, ...penaltyRows] = parse(readFileSync(fixture('penalty.csv')), { bom: true }) as string[][];
const column = (name: string) => penaltyHeader.indexOf(name);

/** Fixture row i, as a copy to edit. */
export const row = (i: number) => [...penaltyRows[i]];
export const changed = (r: readonly string[], note: string) => Object.assign([...r], { [column('行政处罚内容')]: `${r[column('行政处罚内容')]}（${note}）` });
export const bad = (r: readonly string[]) => Object.assign([...r], { [column('统一社会信用代码')]: 'BAD' });

/** Rows as a CSV file's text under the header (the fixture's unless given), quoted where they need it. */
export const toCsv = (rows: readonly (readonly string[])[], header: readonly string[] = penaltyHeader) =>
  [header, ...rows].map((r) => r.map((c) => (/[",\r\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(',')).join('\r\n') + '\r\n';
