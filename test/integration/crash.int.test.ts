// kill -9 of the ingest process in the middle of a batch leaves nothing of the batch behind, and
// running the same file again completes it.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateCsvChunks } from '../../fixtures/generate.ts';
import { CLI } from '../helpers/cli.ts';
import { ingest } from '../helpers/ingest.ts';
import { createTestDb, type TestDb } from '../helpers/pg.ts';

const ROWS = 60_000;
let t: TestDb;
let dir: string;
let file: string;

beforeAll(async () => {
  t = await createTestDb('crash');
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-crash-'));
  file = path.join(dir, 'penalty-60k.csv');
  await pipeline(Readable.from(generateCsvChunks({ category: 'penalty', rows: ROWS, seed: 7 })), createWriteStream(file));
});
afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `credit-etl ingest` and SIGKILLs it once it has reported progress past `rows` rows. */
function ingestAndKill(afterRows: number): Promise<{ killedAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'ingest', file, '--category', 'penalty', '--provider', 'ndrc', '--json'], {
      env: { ...process.env, DATABASE_URL: t.url, LOG_LEVEL: 'debug' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    let killedAt = -1;
    child.stderr.on('data', (d) => {
      buf += d;
      for (const m of buf.matchAll(/"rows":(\d+)[^\n]*"msg":"progress"/g)) {
        if (killedAt < 0 && Number(m[1]) >= afterRows) {
          killedAt = Number(m[1]);
          child.kill('SIGKILL');
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`ingest ended by itself (code ${code}) before it could be killed`));
      else resolve({ killedAt });
    });
  });
}

it('a batch killed mid-way leaves no partial batch, and a re-run completes it', async () => {
  const { killedAt } = await ingestAndKill(20_000);
  expect(killedAt).toBeGreaterThanOrEqual(20_000);
  expect(killedAt).toBeLessThan(ROWS);
  // The server aborts the dead client's transaction; wait until its backend is gone.
  for (let i = 0; i < 50; i++) {
    const { rows } = await t.db.knex.raw(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`);
    if (rows[0].n === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const n = async (table: string) => Number((await t.db.knex(table).count({ n: '*' }))[0].n);
  expect(await n('batches')).toBe(0);
  expect(await n('credit_records')).toBe(0);
  expect(await n('rejected_rows')).toBe(0);

  const r = await ingest(t.db, file, 'penalty', 'ndrc');
  expect(r.status).toBe('loaded');
  expect(r.read).toBe(ROWS);
  expect(r.inserted).toBe(r.accepted - r.duplicates);
  expect(await n('credit_records')).toBe(r.inserted);
  expect(await n('batches')).toBe(1);
});
