// The clerk's loop through the CLI: an .xlsx delivery, the scientific-notation error, the report as a
// workbook, a correction naming its batch, and the rejected rows shown open or resolved.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { cliStore, runCli } from '../helpers/cli.ts';
import { clerkFile, expectStoredAsFixed, toCsv, toXlsx } from '../helpers/clerk.ts';

const store = cliStore('cli_clerk');

const jsonLines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l));

describe('credit-etl and the clerk\'s loop', () => {
  const file = clerkFile();
  let original: string;

  it('ingests an .xlsx workbook with Excel\'s row numbers and rejects a code turned into scientific notation with its own error', async () => {
    const xlsx = path.join(store.dir, '处罚.xlsx');
    writeFileSync(xlsx, await toXlsx(file.delivered, { sheet: '二季度' }));
    const r = await runCli(['ingest', xlsx, '--category', 'penalty', '--provider', '市发展改革委', '--sheet', '二季度', '--json'], store.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ status: 'loaded', encoding: 'xlsx:二季度', read: 10, accepted: 6, rejected: 4 });
    const sci = out.issues.find((i: any) => i.code === 'E_SCIENTIFIC_NOTATION');
    expect(sci).toMatchObject({ line: 3, column: '统一社会信用代码', value: '9.1371325002061E+17' });
    expect(sci.messageZh).toContain('科学计数法');
    expect(out.issues.map((i: any) => i.line)).toEqual([3, 5, 7, 9]);
    original = out.batchId;
  });

  it('rejects the same scientific-notation cell in a CSV saved by Excel', async () => {
    const csv = path.join(store.dir, 'sci.csv');
    writeFileSync(csv, toCsv([{ ...file.fixed[2], decision_no: `${file.fixed[2].decision_no}-sci`, authority_uscc: '1.13713E+17' }]));
    const r = await runCli(['ingest', csv, '--category', 'penalty', '--provider', '市发展改革委', '--json'], store.env);
    expect(JSON.parse(r.stdout).issues).toEqual([expect.objectContaining({ code: 'E_SCIENTIFIC_NOTATION', line: 2, value: '1.13713E+17' })]);
  });

  it('writes the report as a workbook and lists the rows still open', async () => {
    const out = path.join(store.dir, 'report.xlsx');
    const r = await runCli(['rejects', original, '--out', out], store.env);
    expect(r.code).toBe(0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['错误报告', '错误代码说明']);
    expect(wb.worksheets[0].getColumn(1).values.slice(2)).toEqual(['3', '5', '7', '9']);
    const open = await runCli(['rejects', original, '--open', '--json'], store.env);
    expect(jsonLines(open.stdout).map((l) => [l.line, l.status])).toEqual([[3, 'open'], [5, 'open'], [7, 'open'], [9, 'open']]);
  });

  it('loads a corrected file that names the batch it corrects, and those rejected rows become resolved', async () => {
    // the clerk fixes rows 1 and 3 only, and resubmits the whole file
    const partly = file.fixed.map((r, i) => (i === 5 || i === 7 ? file.delivered[i] : r));
    const csv = path.join(store.dir, 'fixed.csv');
    writeFileSync(csv, toCsv(partly));
    const bad = await runCli(['ingest', csv, '--category', 'penalty', '--provider', '市发展改革委', '--corrects', '00000000-0000-4000-8000-000000000000'], store.env);
    expect(bad.code).toBe(2);
    const r = await runCli(['ingest', csv, '--category', 'penalty', '--provider', '市发展改革委', '--corrects', original, '--json'], store.env);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ status: 'loaded', accepted: 8, rejected: 2 });
    const open = await runCli(['rejects', original, '--open', '--json'], store.env);
    expect(jsonLines(open.stdout).map((l) => l.line)).toEqual([7, 9]);
    const all = jsonLines((await runCli(['rejects', original, '--json'], store.env)).stdout);
    expect(all.filter((l) => l.status === 'resolved').map((l) => [l.line, l.resolvedBy, l.resolvedLine])).toEqual([[3, out.batchId, 3], [5, out.batchId, 5]]);
    const openCsv = path.join(store.dir, 'open.csv');
    await runCli(['rejects', original, '--open', '--out', openCsv], store.env);
    expect(readFileSync(openCsv, 'utf8').trim().split('\r\n')).toHaveLength(3);
  });

  it('stores nothing the spreadsheet or the report did, once every row is fixed', async () => {
    const csv = path.join(store.dir, 'all.csv');
    writeFileSync(csv, toCsv(file.fixed));
    const r = await runCli(['ingest', csv, '--category', 'penalty', '--provider', '市发展改革委', '--corrects', original, '--json'], store.env);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'loaded', rejected: 0 });
    expect((await runCli(['rejects', original, '--open', '--json'], store.env)).stdout.trim()).toBe('');
    await expectStoredAsFixed(store.t.db, file);
  });

  it('applies the configured error budget of the category when the command names none', async () => {
    const csv = path.join(store.dir, 'budget.csv');
    writeFileSync(csv, toCsv(file.delivered.map((r) => ({ ...r, decision_no: `${r.decision_no}-b` }))));
    const r = await runCli(['ingest', csv, '--category', 'penalty', '--provider', '市发展改革委', '--json'], { ...store.env, CREDIT_ETL_ERROR_BUDGET: '*=0.9,penalty=0.1' });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).refusal.code).toBe('R_OVER_BUDGET');
    const looser = await runCli(['ingest', csv, '--category', 'penalty', '--provider', '市发展改革委', '--max-reject-ratio', '0.5', '--json'], { ...store.env, CREDIT_ETL_ERROR_BUDGET: 'penalty=0.1' });
    expect(looser.code).toBe(0);
  });
});
