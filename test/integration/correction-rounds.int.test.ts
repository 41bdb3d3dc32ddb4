// A clerk corrects in rounds: the rejection report of a delivery, fixed in part and ingested, gives a
// report of its own, whose fix is ingested in turn. The delivery's rejected rows are then resolved
// by whichever round loaded them, not left open because the second round corrected the first.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { expect, it } from 'vitest';
import { cliStore, runCli } from '../helpers/cli.ts';
import { clerkFile, penalty, toCsv } from '../helpers/clerk.ts';

const store = cliStore('correction_rounds');

const jsonLines = (s: string) => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const ingest = async (file: string) => JSON.parse((await runCli(['ingest', file, '--category', 'penalty', '--provider', '市发展改革委', '--json'], store.env)).stdout);

/** The batch's report as a workbook, edited the way the clerk edits it in Excel, saved under `name`. */
async function fixReport(batchId: string, name: string, fix: (line: number, set: (key: string, value: string) => void) => void): Promise<string> {
  const report = path.join(store.dir, `${name}-report.xlsx`);
  expect((await runCli(['rejects', batchId, '--out', report], store.env)).code).toBe(0);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(report);
  const ws = wb.worksheets[0];
  const head = ws.getRow(1).values as string[];
  // one 行号 and one 错误原因, the report's own, however many rounds the rows went through
  expect(head.filter((h) => h === '行号' || h === '错误原因')).toEqual(['行号', '错误原因']);
  ws.eachRow((row, i) => {
    if (i === 1) return;
    fix(Number(row.getCell(head.indexOf('行号')).value), (key, value) => {
      row.getCell(head.indexOf(penalty.fields.find((f) => f.key === key)!.labelZh)).value = value;
    });
  });
  const fixed = path.join(store.dir, `${name}.xlsx`);
  await wb.xlsx.writeFile(fixed);
  return fixed;
}

it('resolves a delivery\'s rejected row loaded by the correction of its correction', async () => {
  const file = clerkFile(); // rows 1, 3, 5, 7 broken: lines 3, 5, 7, 9
  const csv = path.join(store.dir, 'delivery.csv');
  writeFileSync(csv, toCsv(file.delivered));
  const first = await ingest(csv);
  expect(first).toMatchObject({ status: 'loaded', rejected: 4 });

  // round one: every row fixed but line 5 (row 3's impossible date), left as it was
  const round1 = await ingest(await fixReport(first.batchId, 'round1', (line, set) => {
    if (line === 5) return;
    for (const key of file.broken.get(line - 2)!) set(key, file.fixed[line - 2][key]);
  }));
  expect(round1).toMatchObject({ status: 'loaded', read: 4, accepted: 3, rejected: 1 });
  expect(jsonLines((await runCli(['rejects', first.batchId, '--open', '--json'], store.env)).stdout).map((l) => l.line)).toEqual([5]);

  // round two: the report of round one (line 5 of the delivery is its line 3), the date fixed
  const round2 = await ingest(await fixReport(round1.batchId, 'round2', (line, set) => {
    expect(line).toBe(3);
    set('decision_date', file.fixed[3].decision_date);
  }));
  expect(round2).toMatchObject({ status: 'loaded', read: 1, accepted: 1, rejected: 0 });

  expect((await runCli(['rejects', round1.batchId, '--open', '--json'], store.env)).stdout.trim()).toBe('');
  expect((await runCli(['rejects', first.batchId, '--open', '--json'], store.env)).stdout.trim()).toBe('');
  const all = jsonLines((await runCli(['rejects', first.batchId, '--json'], store.env)).stdout);
  // by hand: lines 3, 7, 9 loaded by round one at its lines 2, 4, 5; line 5 by round two at its line 2
  expect(all.map((l) => [l.line, l.status, l.resolvedBy, l.resolvedLine])).toEqual([
    [3, 'resolved', round1.batchId, 2], [5, 'resolved', round2.batchId, 2], [7, 'resolved', round1.batchId, 4], [9, 'resolved', round1.batchId, 5],
  ]);
});
