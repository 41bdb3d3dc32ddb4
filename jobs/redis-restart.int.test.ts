// Redis restarted mid-run, the way the deployment runs it (no RDB, no AOF): every job, lock and
// scheduler is gone when it comes back. The worker process reconnects on its own (ioredis retries
// for ever), its reconciler finds the run the PostgreSQL ledger still calls running and enqueues the
// sources that have not finished, and they resume from the cursors committed with their last
// batches. Nothing here calls the reconciler by hand: the recovery is the worker's own, as deployed.
// Two outages: a quick restart (1.5 s), and Redis gone for 8 s (past ioredis' first retries, whose
// delay grows to 2 s) while the worker goes on committing the source it holds.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FlowProducer, Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, expect, it, onTestFailed } from 'vitest';
import { loadCollectionConfig } from '../config/config.ts';
import { eventually, sequenceSource, spawnWorker, testPrefix, type SequenceConfig, type WorkerProcess } from '../test/helpers/collect.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { startRedisServer, type RedisServer } from '../test/helpers/redis-server.ts';
import { connectQueues, type QueueConnection } from './connection.ts';
import { startRun, type FlowDeps } from './enqueue.ts';
import { getRun } from '../store/ledger.ts';
import { QUEUE } from './queues.ts';
import type { RunReport } from './report.ts';
import { fieldSql } from '../store/payload.ts';

const TOTAL = 1000;
// Slow enough (20 pages of 50, 40 ms apart) that a run of four is still going when Redis goes away.
const quick = ['a', 'b', 'c', 'd'].map((id, i) => sequenceSource(`quick-${id}`, i * 100_000, TOTAL, { delayMs: 40 }));
const long = ['a', 'b', 'c', 'd'].map((id, i) => sequenceSource(`long-${id}`, 1_000_000 + i * 100_000, TOTAL, { delayMs: 40 }));

let t: TestDb;
let dir: string;
let redis: RedisServer;
let conn: QueueConnection;
let flow: FlowProducer;
let flowDeps: FlowDeps;
let worker: WorkerProcess;

beforeAll(async () => {
  t = await createTestDb('redisrestart');
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-redisrestart-'));
  writeFileSync(path.join(dir, 'sources.json'), JSON.stringify([...quick, ...long]));
  redis = await startRedisServer();
  const env = { REDIS_URL: redis.url, CREDIT_ETL_QUEUE_PREFIX: testPrefix(), CREDIT_ETL_RETRY_DELAY_MS: '100', CREDIT_ETL_JOB_LOCK_MS: '2000', CREDIT_ETL_RECONCILE_MS: '1000' };
  const cfg = loadCollectionConfig(env);
  conn = connectQueues(cfg);
  conn.connection.on('error', () => undefined); // this test's own producer connection sees the outages too
  flow = new FlowProducer({ connection: conn.connection, prefix: conn.prefix });
  flowDeps = { flow, prefix: conn.prefix, retryDelayMs: cfg.retryDelayMs };
  // One worker process for both tests: it has to live through both outages.
  worker = spawnWorker(path.join(dir, 'sources.json'), { DATABASE_URL: t.url, ...env });
  await worker.ready;
});
afterAll(async () => {
  if (redis && !redis.running()) await redis.start().catch(() => undefined);
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await flow?.close();
  await conn?.connection.quit().catch(() => conn.connection.disconnect());
  await redis?.stop();
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

// On a failure: what the worker said (less the connection errors it logs at every retry while Redis
// is down), and what the queues hold and who serves them.
beforeEach(() => onTestFailed(async () => {
  console.error(worker.output().split('\n').filter((l) => !/"msg":"(worker|queue connection) error"/.test(l)).join('\n'));
  for (const name of [QUEUE.collect, QUEUE.report]) {
    const q = new Queue(name, { connection: conn.connection, prefix: conn.prefix });
    console.error(name, await q.getJobCounts(), 'workers:', (await q.getWorkers()).map((w) => w.name));
    await q.close();
  }
}));

const batchesCommitted = async (runId: string): Promise<number> =>
  (await t.db.knex.raw('SELECT count(*)::int AS n FROM collection_run_batches WHERE run_id = ?', [runId])).rows[0].n;

/** Starts a run, lets it get going, takes Redis away for `downMs`, brings it back empty; resolves with the finished run's report. */
async function runThroughRestart(sources: readonly SequenceConfig[], downMs: number): Promise<{ runId: string; report: RunReport; committedWhileDown: number }> {
  const runId = await startRun(t.db, flowDeps, { trigger: 'manual', sourceIds: sources.map((s) => s.id) });
  await eventually(async () => ((await batchesCommitted(runId)) >= 3 ? true : undefined), 20);

  const sentinel = `${conn.prefix}:before-the-restart`;
  await conn.connection.set(sentinel, runId);
  await redis.stop();
  const atStop = await batchesCommitted(runId);
  const pending = await t.db.knex('collection_run_sources').where({ run_id: runId }).whereNot({ status: 'succeeded' }).count({ n: '*' });
  expect(Number(pending[0]!.n), 'the run was mid-way when Redis went away').toBeGreaterThan(1);
  await sleep(downMs);
  const committedWhileDown = (await batchesCommitted(runId)) - atStop;
  await redis.start();
  // Nothing survived (no job, lock or scheduler, nor this key): the ledger alone knows the run.
  expect(await conn.connection.exists(sentinel)).toBe(0);

  const report = await eventually(async () => {
    const r = await getRun(t.db, runId);
    return r?.status === 'running' ? undefined : (r!.report as RunReport);
  });
  return { runId, report, committedWhileDown };
}

async function expectExact(runId: string, report: RunReport, sources: readonly SequenceConfig[]): Promise<void> {
  const ids = sources.map((s) => s.id);
  // The run completed, and its report (built from the ledger) reconciles per source.
  expect(report.status).toBe('succeeded');
  expect(report.sources.map((s) => s.sourceId)).toEqual(ids);
  for (const s of report.sources) {
    expect(s, s.sourceId).toMatchObject({ status: 'succeeded', rowsYielded: TOTAL, read: TOTAL, accepted: TOTAL, rejected: 0, inserted: TOTAL, updated: 0, unchanged: 0, duplicates: 0, reconciled: true });
  }
  // The store: exactly the sources' rows, each once, each in its first version.
  const accounts = sources.flatMap((s) => Array.from({ length: TOTAL }, (_, i) => `LS${String(s.base + i).padStart(7, '0')}`));
  const account = fieldSql('water', 'account_no');
  const { rows: [store] } = await t.db.knex.raw(`
    SELECT count(*)::int AS n, count(DISTINCT ${account})::int AS distinct_accounts, count(*) FILTER (WHERE version <> 1)::int AS updated
    FROM credit_records WHERE category = 'water' AND ${account} = ANY(?)`, [accounts]);
  expect(store).toEqual({ n: accounts.length, distinct_accounts: accounts.length, updated: 0 });
  // The batch registry: every batch of the run loaded (none left received or failed), and their
  // rows are exactly the records above.
  const { rows: batches } = await t.db.knex.raw(`
    SELECT b.status, count(*)::int AS n, sum(b.inserted)::int AS inserted
    FROM collection_run_batches l JOIN batches b ON b.id = l.batch_id WHERE l.run_id = ? GROUP BY b.status`, [runId]);
  expect(batches).toEqual([{ status: 'loaded', n: expect.any(Number), inserted: accounts.length }]);
  const { rows: [owners] } = await t.db.knex.raw(`
    SELECT count(*)::int AS n FROM credit_records WHERE ${account} = ANY(?)
      AND batch_id IN (SELECT batch_id FROM collection_run_batches WHERE run_id = ?)`, [accounts, runId]);
  expect(owners.n).toBe(accounts.length);
  // The run ledger: every source finished, its cursor at the end, the run closed with a report.
  const ledger = await t.db.knex('collection_run_sources').where({ run_id: runId }).orderBy('source_id').select('source_id', 'status', 'error_code', 'finished_at');
  expect(ledger.map((s) => [s.source_id, s.status, s.error_code, s.finished_at !== null])).toEqual(ids.map((id) => [id, 'succeeded', null, true]));
  const cursors = await t.db.knex('connector_cursors').whereIn('source_id', ids).orderBy('source_id').select('source_id', 'cursor');
  expect(cursors.map((c) => [c.source_id, c.cursor])).toEqual(ids.map((id) => [id, TOTAL]));
  const run = await getRun(t.db, runId);
  expect(run?.finished_at).not.toBeNull();
  // Nowhere in the store is a batch stuck as received.
  expect(Number((await t.db.knex('batches').where({ status: 'received' }).count({ n: '*' }))[0]!.n)).toBe(0);
}

it('Redis restarted mid-run (1.5 s down, nothing persisted): the worker reconnects and recovers the run from the ledger, exactly', async () => {
  const { runId, report } = await runThroughRestart(quick, 1500);
  await expectExact(runId, report, quick);
  // The same worker process did it: still alive, and its reconciler re-enqueued the run's jobs.
  expect(worker.child.exitCode).toBeNull();
  expect(worker.child.signalCode).toBeNull();
  expect(worker.output()).toMatch(new RegExp(`"runId":"${runId}"[^\\n]*re-enqueued from the ledger`));
  // The nightly schedulers vanished with the rest of Redis; the worker installed them again.
  const triggers = new Queue(QUEUE.trigger, { connection: conn.connection, prefix: conn.prefix });
  try {
    expect(await eventually(async () => (await triggers.getJobSchedulersCount()) || undefined)).toBeGreaterThan(0);
  } finally {
    await triggers.close();
  }
});

it('Redis down for 8 s mid-run: the worker keeps committing what it holds, waits for Redis without crashing or hanging, and finishes the run exactly', async () => {
  const { runId, report, committedWhileDown } = await runThroughRestart(long, 8000);
  // The source the worker held went on loading into PostgreSQL while Redis was away.
  expect(committedWhileDown).toBeGreaterThan(0);
  await expectExact(runId, report, long);
  expect(worker.child.exitCode).toBeNull();
  expect(worker.child.signalCode).toBeNull();
  expect(worker.output()).toMatch(new RegExp(`"runId":"${runId}"[^\\n]*re-enqueued from the ledger`));
  // And it still takes new work after both outages: a fresh run of a source goes through at once.
  const again = await startRun(t.db, flowDeps, { trigger: 'manual', sourceIds: [long[0]!.id] });
  const r = await eventually(async () => {
    const x = await getRun(t.db, again);
    return x?.status === 'running' ? undefined : (x!.report as RunReport);
  });
  expect(r.sources[0]).toMatchObject({ status: 'succeeded', read: 0, inserted: 0, reconciled: true });
  // Through both outages the worker logged JSON only (connection errors included), nothing raw on stderr.
  expect(worker.output().split('\n').filter((line) => line && !line.startsWith('{'))).toEqual([]);
});
