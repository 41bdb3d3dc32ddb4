// PostgreSQL restarting under a load: the batch that was streaming is lost whole (the server aborts
// its transaction), nothing partial stays behind, and the same file loaded again lands exactly.
// This restarts the machine's PostgreSQL, so it runs on its own (vitest.faults.config.ts), after
// the rest of the suite; where the cluster cannot be restarted it is skipped, saying why.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeCsvFile } from '../../testkit/generate-fixtures.ts';
import { openDb } from '../../store/db.ts';
import { CLI } from '../helpers/cli.ts';
import { ingest } from '../helpers/ingest.ts';
import { createTestDb, TEST_AUDIT_KEY, type TestDb } from '../helpers/pg.ts';
import { canRestartPg as canRestart, restartPg, untilPgUp } from '../helpers/pg-restart.ts';

const ROWS = 60_000;

let t: TestDb;
let dir: string;
let file: string;

beforeAll(async () => {
  if (!canRestart) return;
  t = await createTestDb('pgrestart');
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-pgrestart-'));
  file = path.join(dir, 'penalty.csv');
  await writeCsvFile(file, { category: 'penalty', rows: ROWS, seed: 5 });
});
afterAll(async () => {
  if (!canRestart) return;
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

it.skipIf(!canRestart)('a PostgreSQL restart mid-batch loses the batch whole, and a re-run loads it exactly', async () => {
  // the pool of this test's own store does not survive the restart; reconnect afterwards
  await t.db.close();
  const child = spawn(process.execPath, [CLI, 'ingest', file, '--category', 'penalty', '--provider', 'ndrc', '--json'], {
    env: { ...process.env, DATABASE_URL: t.url, LOG_LEVEL: 'debug', CREDIT_ETL_AUDIT_KEY: TEST_AUDIT_KEY }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let restarted = false;
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stderr.on('data', (d: Buffer) => {
    const m = /"rows":(\d+)[^\n]*"msg":"progress"/.exec(d.toString());
    if (!restarted && m && Number(m[1]) >= 20_000) {
      restarted = true;
      restartPg();
    }
  });
  const code = await exited;
  expect(restarted).toBe(true);
  expect(code).not.toBe(0);
  await untilPgUp(t.url);

  const db = await openDb({ databaseUrl: t.url, dataDir: '' });
  (t as { db: typeof db }).db = db;
  const n = async (table: string, where: Record<string, unknown> = {}) => Number((await db.knex(table).where(where).count({ n: '*' }))[0].n);
  expect(await n('credit_records')).toBe(0);
  expect(await n('rejected_rows')).toBe(0);
  expect(await n('batches', { status: 'loaded' })).toBe(0);
  if (out.trim()) expect(JSON.parse(out).status).toBe('failed');

  const again = await ingest(db, file, 'penalty', 'ndrc');
  expect(again).toMatchObject({ status: 'loaded', read: ROWS });
  expect(await n('credit_records')).toBe(again.inserted);
  expect(again.inserted).toBe(again.accepted - again.duplicates);
}, 180_000);
