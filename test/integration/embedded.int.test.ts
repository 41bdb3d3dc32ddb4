// The embedded default (PGlite in a local folder): what `npm start` runs on a machine with no services.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openDb } from '../../store/db.ts';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-embedded-'));
const env = { DATABASE_URL: '', CREDIT_ETL_DATA_DIR: dir };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('the demo loads all seven categories into PGlite with reconciled counts, and a second run changes nothing', async () => {
  const first = await runCli(['demo'], env);
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toContain('embedded PGlite');
  const rows = first.stdout.split('\n').filter((l) => /^(licensing|penalty|enforcement|water|gas|rnd|agri) /.test(l));
  expect(rows).toHaveLength(7);
  for (const r of rows) expect(r).toMatch(/loaded .* yes$/);
  expect(first.stdout).toContain('企业信用档案 profile');

  // …and one collection run against the bundled stand-in providers.
  expect(first.stdout).toMatch(/采集 run \S+ +succeeded/);

  const second = await runCli(['batches', '--json'], env);
  const loaded = JSON.parse(second.stdout).filter((b: any) => /^[a-z]+\.csv$/.test(b.file_name));
  expect(loaded).toHaveLength(7);
  expect(loaded.every((b: any) => b.inserted > 0 && b.updated === 0)).toBe(true);

  // a second demo finds every record as the first one left it: fixtures and stand-ins never share a key
  const rerun = await runCli(['demo'], env);
  expect(rerun.code, rerun.stderr).toBe(0);
  const counts = rerun.stdout.split('\n').filter((l) => /^(licensing|penalty|enforcement|water|gas|rnd|agri) /.test(l))
    .map((l) => l.split(/\s+/)).map((cells) => cells.slice(cells.indexOf('loaded') + 1, cells.indexOf('loaded') + 8).map(Number));
  expect(counts).toHaveLength(7);
  // read accepted rejected inserted updated unchanged duplicates
  for (const [read, , , inserted, updated, unchanged] of counts) expect([inserted, updated, unchanged]).toEqual([0, 0, read]);
  expect(rerun.stdout).not.toMatch(/~[1-9]/);

  const again = await runCli(['ingest', path.resolve('fixtures/csv/penalty.gbk.csv'), '--category', 'penalty', '--provider', 'ndrc', '--json'], env);
  expect(again.code, again.stderr).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({ status: 'loaded', encoding: 'gb18030', rejected: 0 });
}, 120_000);

it('refuses a second process on the same data folder instead of corrupting it', async () => {
  const db = await openDb({ dataDir: dir });
  try {
    const r = await runCli(['batches'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`process ${process.pid}`);
  } finally {
    await db.close();
  }
}, 60_000);
