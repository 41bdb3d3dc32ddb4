// kill -9 of the ingest process at several points of a batch: before commit nothing of the batch
// is left, after commit all of it is; either way running the same file again ends exact.
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

const ROWS = 40_000;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-crash-'));
  file = path.join(dir, 'penalty-40k.csv');
  await pipeline(Readable.from(generateCsvChunks({ category: 'penalty', rows: ROWS, seed: 7 })), createWriteStream(file));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface KillPoint {
  readonly name: string;
  /** Does this debug/info log line of the ingest process mark the point? */
  readonly at: (line: string) => boolean;
  readonly committed: boolean;
}

const progressAt = (line: string) => Number(/"rows":(\d+)[^\n]*"msg":"progress"/.exec(line)?.[1] ?? -1);
const POINTS: readonly KillPoint[] = [
  { name: 'as the batch opens, before the first row', at: (l) => l.includes('"msg":"batch received"'), committed: false },
  { name: 'mid-COPY, after 20k rows', at: (l) => progressAt(l) >= 20_000 && progressAt(l) < ROWS, committed: false },
  { name: 'after the last row, as the merge starts', at: (l) => progressAt(l) === ROWS, committed: false },
  { name: 'after the commit, before the process exits', at: (l) => l.includes('"msg":"batch loaded"'), committed: true },
];

/** Starts `credit-etl ingest` and SIGKILLs it at the first log line that marks the point. */
function ingestAndKill(db: TestDb, point: KillPoint): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'ingest', file, '--category', 'penalty', '--provider', 'ndrc', '--json'], {
      env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'debug' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    let killed = false;
    child.stderr.on('data', (d) => {
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      if (!killed && lines.some(point.at)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`ingest ended by itself before the kill point "${point.name}"`))));
  });
}

for (const point of POINTS) {
  it(`kill -9 ${point.name}: ${point.committed ? 'the whole batch' : 'nothing of the batch'} is left, and a re-run ends exact`, async () => {
    const t = await createTestDb('crash');
    try {
      await ingestAndKill(t, point);
      // The server aborts the dead client's transaction; wait until its backend is gone.
      for (let i = 0; i < 50; i++) {
        const { rows } = await t.db.knex.raw(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`);
        if (rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const n = async (table: string) => Number((await t.db.knex(table).count({ n: '*' }))[0].n);
      const recordsAfterKill = await n('credit_records');
      expect(await n('batches')).toBe(point.committed ? 1 : 0);
      expect(await n('rejected_rows')).toBe(0);

      const r = await ingest(t.db, file, 'penalty', 'ndrc');
      expect(r).toMatchObject({ status: 'loaded', read: ROWS });
      expect(r.inserted + r.unchanged).toBe(r.accepted - r.duplicates);
      expect(r.updated).toBe(0);
      expect(r.inserted).toBe(point.committed ? 0 : r.accepted - r.duplicates);
      expect(recordsAfterKill).toBe(point.committed ? r.unchanged : 0);
      expect(await n('credit_records')).toBe(r.accepted - r.duplicates);
      expect(await n('batches')).toBe(point.committed ? 2 : 1);
    } finally {
      await t.drop();
    }
  });
}
