// kill -9 of the ingest process at named points of a batch (lib/failpoints.ts: the process SIGKILLs
// itself exactly there): before the commit nothing of the batch is left, after it all of it is;
// either way running the same file again ends exact.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeCsvFile } from '../../testkit/generate-fixtures.ts';
import { CLI } from '../helpers/cli.ts';
import { ingest } from '../helpers/ingest.ts';
import { toCsv } from '../helpers/penalty-rows.ts';
import { createTestDb, TEST_AUDIT_KEY, type TestDb } from '../helpers/pg.ts';

// Progress is reported every 10k rows, so `ingest.progress` falls mid-file; 2% of the rows carry a
// value error, so rejected rows are staged (and must vanish with the batch) too.
const ROWS = 15_000;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-crash-'));
  file = path.join(dir, 'penalty-15k.csv');
  await writeCsvFile(file, { category: 'penalty', rows: ROWS, seed: 7, dirtyRatio: 0.02 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface KillPoint {
  /** Armed in the process; or, for `whileServerRuns`, the name shown for a kill from outside. */
  readonly failpoint: string;
  readonly name: string;
  readonly committed: boolean;
  /** Kill from outside while the server is executing a statement of the batch that matches. */
  readonly whileServerRuns?: RegExp;
}

const POINTS: readonly KillPoint[] = [
  { failpoint: 'batch.registered', name: 'as the batch opens (registry row written, uncommitted), before the first row', committed: false },
  { failpoint: 'parse.records', name: 'while parsing (the parse thread has handed over its first 500 records)', committed: false },
  { failpoint: 'ingest.progress', name: 'mid-read (10k of 15k rows encoded)', committed: false },
  { failpoint: 'batch.copy-end', name: 'after the last row, before the last chunk goes to the server', committed: false },
  { failpoint: 'batch.merge', name: 'as the chunk\'s write starts (rejected rows written, category lock held, keys not yet looked up)', committed: false },
  { failpoint: '(outside: the records being written on the server)', name: 'while the server writes the records (the COPY into credit_records)', committed: false, whileServerRuns: /^COPY credit_records/ },
  { failpoint: 'batch.merged', name: 'just after the writes (records and events written, batch status not yet)', committed: false },
  { failpoint: 'batch.before-commit', name: 'with status and counts written, just before COMMIT', committed: false },
  { failpoint: 'batch.committed', name: 'after the commit, before the process reports or exits', committed: true },
];

/** Runs `credit-etl ingest` with the failpoint armed; resolves once it has died of SIGKILL. */
function ingestAndKill(db: TestDb, point: KillPoint, csv = file): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'ingest', csv, '--category', 'penalty', '--provider', 'ndrc', '--json'], {
      env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn', CREDIT_ETL_AUDIT_KEY: TEST_AUDIT_KEY, CREDIT_ETL_FAILPOINTS: point.whileServerRuns ? '' : point.failpoint }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (point.whileServerRuns) {
      const poll = setInterval(async () => {
        const { rows } = await db.db.knex.raw(`SELECT query FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`);
        if (rows.some((r: { query: string }) => point.whileServerRuns!.test(r.query))) child.kill('SIGKILL');
      }, 10);
      child.on('close', () => clearInterval(poll));
    }
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`ingest ended by itself (${code}) without reaching failpoint ${point.failpoint}:\n${out}`))));
  });
}

for (const point of POINTS) {
  it(`kill -9 ${point.name} [${point.failpoint}]: ${point.committed ? 'the whole batch' : 'nothing of the batch'} is left, and a re-run ends exact`, async () => {
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
      const afterKill = { batches: await n('batches'), records: await n('credit_records'), rejected: await n('rejected_rows') };
      const killed = await t.db.knex('batches').first();

      const r = await ingest(t.db, file, 'penalty', 'ndrc');
      expect(r).toMatchObject({ status: 'loaded', read: ROWS, updated: 0, duplicates: 0 });
      expect(r.rejected).toBeGreaterThan(0);
      expect(r.accepted + r.rejected).toBe(ROWS);
      if (point.committed) {
        // The killed run's batch is complete, with reconciled counts; the re-run finds every record unchanged.
        expect(afterKill.batches).toBe(1);
        expect(killed).toMatchObject({ status: 'loaded', read: ROWS, accepted: r.accepted, rejected: r.rejected, inserted: r.accepted, updated: 0, unchanged: 0, duplicates: 0 });
        expect(afterKill.records).toBe(r.accepted);
        expect(afterKill.rejected).toBe(r.rejected);
        expect(r).toMatchObject({ inserted: 0, unchanged: r.accepted });
      } else {
        // Nothing of the killed batch: no registry row, no records, no rejected rows.
        expect(afterKill).toEqual({ batches: 0, records: 0, rejected: 0 });
        expect(r).toMatchObject({ inserted: r.accepted, unchanged: 0 });
      }
      expect(await n('batches')).toBe(point.committed ? 2 : 1);
      expect(await t.db.knex('batches').whereNot({ status: 'loaded' }).pluck('status')).toEqual([]);
      expect(await n('credit_records')).toBe(r.accepted);
      expect(await n('credit_record_versions')).toBe(0);
      expect(await n('rejected_rows')).toBe(point.committed ? 2 * r.rejected : r.rejected);
      const { rows: [keys] } = await t.db.knex.raw('SELECT count(*)::int AS all, count(DISTINCT (category, natural_key))::int AS distinct FROM credit_records');
      expect(keys.all).toBe(keys.distinct);
    } finally {
      await t.drop();
    }
  });
}

// A first load copies every record straight in; the merge statement runs for records the store
// already holds with other content, and a re-delivery first reads the fingerprints of what the
// deliverer holds (pipelines/known-rows.ts). So: load the file, then deliver it with every fifth
// row changed, and kill the ingest at each of those.
const REDELIVERY_KILLS: readonly KillPoint[] = [
  { failpoint: 'batch.known', name: 'after a re-delivery has read the fingerprints of what the store holds (category lock held)', committed: false },
  { failpoint: '(outside: the merge statement)', name: 'while the server runs the merge statement of changed records', committed: false, whileServerRuns: /INSERT INTO credit_record_versions/ },
];
for (const point of REDELIVERY_KILLS) {
  it(`kill -9 ${point.name}: nothing of the batch is left, and a re-run ends exact`, async () => {
    const t = await createTestDb('crash');
    try {
      const first = await ingest(t.db, file, 'penalty', 'ndrc');
      const [header, ...rows] = parse(readFileSync(file), { bom: true }) as string[][];
      const col = header.indexOf('行政处罚内容');
      const changedRows = rows.map((r, i) => (i % 5 === 0 ? Object.assign([...r], { [col]: `${r[col]}（复议变更）` }) : r));
      const changed = path.join(dir, 'penalty-15k-changed.csv');
      writeFileSync(changed, toCsv(changedRows, header));
      const store = async () => t.db.knex('credit_records').orderBy('id').select('id', 'natural_key', 'content_hash', 'version', 'batch_id', t.db.knex.raw('source_hash::text'));
      const before = await store();

      await ingestAndKill(t, point, changed);
      for (let i = 0; i < 50; i++) {
        const { rows: [a] } = await t.db.knex.raw(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`);
        if (a.n === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await store()).toEqual(before);
      expect(Number((await t.db.knex('credit_record_versions').count({ n: '*' }))[0].n)).toBe(0);
      expect(await t.db.knex('batches').pluck('id')).toEqual([first.batchId]);

      const r = await ingest(t.db, changed, 'penalty', 'ndrc');
      expect(r).toMatchObject({ status: 'loaded', read: ROWS, inserted: 0, accepted: first.accepted });
      expect(r.updated).toBeGreaterThan(0);
      expect(r.updated + r.unchanged).toBe(first.accepted);
      // the unchanged rows were recognised by their fingerprints, the changed ones checked
      expect(r.recognised?.rows).toBe(r.unchanged);
      expect(Number((await t.db.knex('credit_record_versions').count({ n: '*' }))[0].n)).toBe(r.updated);
    } finally {
      await t.drop();
    }
  });
}
