// kill -9 of a collection worker at named points across a run (lib/failpoints.ts: the worker SIGKILLs
// itself exactly there): before the fetch, between batches, inside a batch's transaction, after a
// source's last commit but before BullMQ acknowledges its job, and around the run's report. Each
// time a new worker (no failpoint) takes the stalled job over and the run ends exact: every row of
// the stand-in source once, no batch left half-way, the ledger, the cursors and BullMQ agreeing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FlowProducer, Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { loadCollectionConfig } from '../config/config.ts';
import {
  bill, deletePrefix, eventually, REDIS_URL, sequenceSource, spawnWorker, testPrefix, type SequenceConfig, type WorkerProcess,
} from '../test/helpers/collect.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { connectQueues } from './connection.ts';
import { startRun } from './enqueue.ts';
import { getRun, runSources } from '../store/ledger.ts';
import { jobId, QUEUE } from './queues.ts';
import type { RunReport } from './report.ts';
import { fieldSql } from '../store/payload.ts';

const ROWS = 300; // per source: 6 pages of 50, a checkpoint (so a batch) after each
const LOCK_MS = '2000'; // a dead worker's job is taken over after about this long

let t: TestDb;
let dir: string;
const workers: WorkerProcess[] = [];
const prefixes: string[] = [];

beforeAll(async () => {
  t = await createTestDb('killpoints');
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-killpoints-'));
});
afterEach(async () => {
  for (const w of workers.splice(0)) {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await w.exited;
  }
  // A run a failed test left running would be adopted by the next test's worker (the reconciler reads
  // the shared ledger, and re-enqueues runs older than a minute under that worker's prefix).
  await t.db.knex('collection_runs').where({ status: 'running' }).update({ status: 'failed' });
});
afterAll(async () => {
  for (const p of prefixes) await deletePrefix(REDIS_URL, p);
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const count = async (sql: string, bindings: readonly string[] = []) => Number((await t.db.knex.raw(sql, bindings)).rows[0].n);

interface KillPoint {
  readonly failpoint: string;
  readonly name: string;
  /** Does the kill interrupt a source (so it is started twice)? */
  readonly interruptsSource: boolean;
  /** What the ledger and BullMQ show right after the kill, before recovery. */
  readonly afterKill: (s: Snapshot) => void;
}

interface Snapshot {
  readonly runStatus: string;
  readonly sources: { status: string; attempts: number }[];
  readonly runBatches: number;
  readonly batchRows: number;
  readonly collectStates: string[];
  readonly reportState: string;
}

const POINTS: readonly KillPoint[] = [
  {
    failpoint: 'collect.started', name: 'as a source job is picked up (ledger: running), before the first fetch', interruptsSource: true,
    afterKill: (s) => {
      expect(s.sources.filter((x) => x.status === 'running')).toEqual([{ status: 'running', attempts: 1 }]);
      expect([s.runBatches, s.batchRows]).toEqual([0, 0]);
    },
  },
  {
    failpoint: 'source.batch-committed', name: 'between batches (one committed, the next page not yet fetched)', interruptsSource: true,
    afterKill: (s) => expect([s.runBatches, s.batchRows]).toEqual([1, 1]),
  },
  {
    failpoint: 'batch.merged', name: 'mid-load: a batch merged into the store, not committed', interruptsSource: true,
    afterKill: (s) => expect([s.runBatches, s.batchRows]).toEqual([0, 0]),
  },
  {
    failpoint: 'batch.before-commit', name: 'mid-load: ledger line and cursor written in the batch transaction, not committed', interruptsSource: true,
    afterKill: (s) => expect([s.runBatches, s.batchRows]).toEqual([0, 0]),
  },
  {
    failpoint: 'collect.succeeded', name: 'after a source\'s last commit and its ledger status, before BullMQ acknowledges the job', interruptsSource: false,
    afterKill: (s) => {
      expect(s.sources.filter((x) => x.status === 'succeeded')).toHaveLength(1);
      expect(s.runBatches).toBe(ROWS / 50);
      // The job the killed worker had finished is still active: never acknowledged.
      expect(s.collectStates.filter((x) => x === 'active')).toHaveLength(1);
      expect(s.collectStates.filter((x) => x === 'completed')).toHaveLength(0);
    },
  },
  {
    failpoint: 'report.start', name: 'as the run\'s report job is picked up, before the report is written', interruptsSource: false,
    afterKill: (s) => {
      expect(s.sources.every((x) => x.status === 'succeeded')).toBe(true);
      expect(s.runStatus).toBe('running');
      expect(s.reportState).toBe('active');
    },
  },
  {
    failpoint: 'report.written', name: 'after the run report is written, before BullMQ acknowledges the report job', interruptsSource: false,
    afterKill: (s) => {
      expect(s.runStatus).toBe('succeeded');
      expect(s.reportState).toBe('active');
    },
  },
];

POINTS.forEach((point, i) => {
  it(`kill -9 of a worker ${point.name} [${point.failpoint}]: a new worker finishes the run exactly`, async () => {
    const cfg = loadCollectionConfig({ REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: testPrefix(), CREDIT_ETL_RETRY_DELAY_MS: '100', CREDIT_ETL_JOB_LOCK_MS: LOCK_MS });
    prefixes.push(cfg.queuePrefix);
    // Sources of their own per test (ids, account numbers): the store is shared by the file's tests.
    const sources: SequenceConfig[] = ['a', 'b'].map((s, j) => sequenceSource(`kp${i}-${s}`, (i * 2 + j + 1) * 100_000, ROWS));
    const sourcesFile = path.join(dir, `sources-${i}.json`);
    writeFileSync(sourcesFile, JSON.stringify(sources));
    const env = { DATABASE_URL: t.url, REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: cfg.queuePrefix, CREDIT_ETL_RETRY_DELAY_MS: '100', CREDIT_ETL_JOB_LOCK_MS: LOCK_MS };
    const conn = connectQueues(cfg);
    const flow = new FlowProducer({ connection: conn.connection, prefix: conn.prefix });
    const collectQ = new Queue(QUEUE.collect, { connection: conn.connection, prefix: conn.prefix });
    const reportQ = new Queue(QUEUE.report, { connection: conn.connection, prefix: conn.prefix });
    try {
      const w1 = spawnWorker(sourcesFile, { ...env, CREDIT_ETL_FAILPOINTS: point.failpoint });
      workers.push(w1);
      await w1.ready;
      const runId = await startRun(t.db, { flow, prefix: conn.prefix, retryDelayMs: cfg.retryDelayMs }, { trigger: 'manual', sourceIds: sources.map((s) => s.id) });
      expect(await w1.exited, `the worker did not reach ${point.failpoint}:\n${w1.output()}`).toBe('SIGKILL');

      const ids = sources.map((s) => s.id);
      const jobStates = () => Promise.all(ids.map(async (s) => (await collectQ.getJob(jobId.collect(runId, s)))!.getState()));
      const reportState = async () => (await reportQ.getJob(jobId.report(runId)))!.getState();
      const snapshot: Snapshot = {
        runStatus: (await getRun(t.db, runId))!.status,
        sources: (await runSources(t.db, runId)).map((s) => ({ status: s.status, attempts: s.attempts })),
        runBatches: await count('SELECT count(*)::int AS n FROM collection_run_batches WHERE run_id = ?', [runId]),
        batchRows: await count(`SELECT count(*)::int AS n FROM batches WHERE file_name LIKE ?`, [`kp${i}-%`]),
        collectStates: await jobStates(),
        reportState: await reportState(),
      };
      point.afterKill(snapshot);

      const w2 = spawnWorker(sourcesFile, env);
      workers.push(w2);
      await w2.ready;
      // Done when the ledger says so and BullMQ has acknowledged every job of the run.
      await eventually(async () => ((await getRun(t.db, runId))!.status !== 'running' && (await reportState()) === 'completed' ? true : undefined));
      expect(await jobStates()).toEqual(ids.map(() => 'completed'));
      const report = (await getRun(t.db, runId))!.report as RunReport;
      expect(report.status).toBe('succeeded');
      expect(report.failed).toEqual([]);
      for (const s of report.sources) {
        // Each source's batches: exactly the stand-in source's rows, counted once, reconciled.
        expect(s).toMatchObject({
          status: 'succeeded', batches: ROWS / 50, rowsYielded: ROWS, read: ROWS, accepted: ROWS, rejected: 0,
          inserted: ROWS, updated: 0, unchanged: 0, duplicates: 0, reconciled: true,
        });
      }
      expect(report.sources.map((s) => s.attempts).sort()).toEqual(point.interruptsSource ? [1, 2] : [1, 1]);

      for (const s of sources) {
        // Every account number of the source once in the store, nothing else under its range, no history.
        const keys = { from: bill(s.base).account_no, to: bill(s.base + ROWS - 1).account_no };
        const account = fieldSql('water', 'account_no');
        const { rows: [r] } = await t.db.knex.raw(`SELECT count(*)::int AS n, count(DISTINCT natural_key)::int AS keys,
            count(DISTINCT ${account})::int AS accounts, min(${account}) AS lo, max(${account}) AS hi
          FROM credit_records WHERE category = 'water' AND ${account} BETWEEN ? AND ?`, [keys.from, keys.to]);
        expect(r).toEqual({ n: ROWS, keys: ROWS, accounts: ROWS, lo: keys.from, hi: keys.to });
        expect(await t.db.knex('connector_cursors').where({ source_id: s.id }).first('cursor')).toEqual({ cursor: ROWS });
      }
      // The batch registry and the run ledger agree: every batch of these sources loaded, each in the
      // run's ledger once; no batch left received or failed; no record versions (nothing loaded twice).
      const batches = await t.db.knex('batches').where('file_name', 'like', `kp${i}-%`).select('id', 'status');
      expect(batches.filter((b) => b.status !== 'loaded')).toEqual([]);
      expect(batches).toHaveLength(2 * ROWS / 50);
      const ledger = await t.db.knex('collection_run_batches').whereIn('source_id', ids).pluck('batch_id');
      expect(new Set(ledger)).toEqual(new Set(batches.map((b) => b.id)));
      expect(ledger).toHaveLength(batches.length);
      expect(await count(`SELECT count(*)::int AS n FROM batches WHERE status IN ('received', 'failed')`)).toBe(0);
      expect(await count('SELECT count(*)::int AS n FROM credit_record_versions')).toBe(0);
    } finally {
      await Promise.all([collectQ.close(), reportQ.close(), flow.close()]);
      await conn.connection.quit();
    }
  });
});
