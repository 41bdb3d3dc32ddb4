// Redis losing everything mid-run (a restart without persistence) loses no work: the run ledger in
// PostgreSQL still says which sources have not finished, the reconciler enqueues them again, and
// they resume from the cursors committed with their last batches: 0 rows lost, 0 duplicated.
// FLUSHALL wipes a whole server, so this test runs a redis-server of its own on a free port.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FlowProducer, Queue } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadCollectionConfig } from '../config/config.ts';
import { eventually, sequenceSource, spawnWorker, testPrefix, type WorkerProcess } from '../test/helpers/collect.ts';
import { silentLog } from '../test/helpers/ingest.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { startRedisServer, type RedisServer } from '../test/helpers/redis-server.ts';
import { connectQueues, type QueueConnection } from './connection.ts';
import { startRun } from './enqueue.ts';
import { getRun } from '../store/ledger.ts';
import { QUEUE, type JobPayloads } from './queues.ts';
import { reconcile } from './reconciler.ts';
import type { RunReport } from './report.ts';

let t: TestDb;
let dir: string;
let redisServer: RedisServer;
let redisUrl: string;
let conn: QueueConnection;
let flow: FlowProducer;
let worker: WorkerProcess;

const sources = ['a', 'b', 'c'].map((id, i) => sequenceSource(`seq-${id}`, i * 100_000, 1000, { delayMs: 40 }));

beforeAll(async () => {
  t = await createTestDb('redisloss');
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-redisloss-'));
  writeFileSync(path.join(dir, 'sources.json'), JSON.stringify(sources));
  redisServer = await startRedisServer();
  redisUrl = redisServer.url;
});
afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await flow?.close();
  await conn?.connection.quit();
  await redisServer?.stop();
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const reconcileQueues = () => ({
  reportQueue: new Queue<JobPayloads[typeof QUEUE.report]>(QUEUE.report, { connection: conn.connection, prefix: conn.prefix }),
  collectQueue: new Queue<JobPayloads[typeof QUEUE.collect]>(QUEUE.collect, { connection: conn.connection, prefix: conn.prefix }),
});
const closeQueues = (q: ReturnType<typeof reconcileQueues>) => Promise.all([q.reportQueue.close(), q.collectQueue.close()]);

it('after FLUSHALL mid-run the reconciler re-enqueues what the ledger says is unfinished, and the run completes exactly', async () => {
  const cfg = loadCollectionConfig({ REDIS_URL: redisUrl, CREDIT_ETL_QUEUE_PREFIX: testPrefix(), CREDIT_ETL_RETRY_DELAY_MS: '100', CREDIT_ETL_JOB_LOCK_MS: '2000' });
  conn = connectQueues(cfg);
  flow = new FlowProducer({ connection: conn.connection, prefix: conn.prefix });
  worker = spawnWorker(path.join(dir, 'sources.json'), {
    DATABASE_URL: t.url, REDIS_URL: redisUrl, CREDIT_ETL_QUEUE_PREFIX: cfg.queuePrefix, CREDIT_ETL_RETRY_DELAY_MS: '100', CREDIT_ETL_JOB_LOCK_MS: '2000',
  });
  await worker.ready;
  const flowDeps = { flow, prefix: conn.prefix, retryDelayMs: cfg.retryDelayMs };
  const runId = await startRun(t.db, flowDeps, { trigger: 'manual', sourceIds: sources.map((s) => s.id) });
  await eventually(async () => {
    const { rows } = await t.db.knex.raw('SELECT count(*)::int AS n FROM collection_run_batches WHERE run_id = ?', [runId]);
    return rows[0].n >= 3 ? true : undefined;
  }, 20);

  await conn.connection.flushall();
  const queues = reconcileQueues();
  expect(await queues.reportQueue.getJob(`${runId}.report`)).toBeUndefined();
  const done = await reconcile({ ...flowDeps, ...queues, db: t.db, log: silentLog }, 0);
  await closeQueues(queues);
  expect(done).toHaveLength(1);
  expect(done[0]!.runId).toBe(runId);
  // The first source was mid-way, the others not started: all three are enqueued again.
  expect(done[0]!.enqueued).toEqual(sources.map((s) => s.id));

  const report = await eventually(async () => {
    const r = await getRun(t.db, runId);
    return r?.status === 'running' ? undefined : (r!.report as RunReport);
  });
  expect(report.status).toBe('succeeded');
  for (const s of report.sources) expect(s).toMatchObject({ read: 1000, inserted: 1000, unchanged: 0, duplicates: 0, reconciled: true });
  expect(Number((await t.db.knex('credit_records').count({ n: '*' }))[0].n)).toBe(3000);
});

it('when only a source\'s job vanished, the reconciler adds it back under the waiting report job', async () => {
  // No worker takes jobs now (the previous test stopped it), so the run waits in Redis as queued.
  worker.child.kill('SIGTERM');
  await worker.exited;
  const flowDeps = { flow, prefix: conn.prefix, retryDelayMs: 100 };
  const lone = [sequenceSource('seq-x', 500_000, 100), sequenceSource('seq-y', 600_000, 100)];
  writeFileSync(path.join(dir, 'sources.json'), JSON.stringify(lone));
  const runId = await startRun(t.db, flowDeps, { trigger: 'manual', sourceIds: lone.map((s) => s.id) });
  // What a partial loss looks like: one job's hash and its place in the wait list are gone.
  await conn.connection.del(`${conn.prefix}:${QUEUE.collect}:${runId}.seq-y`);
  await conn.connection.lrem(`${conn.prefix}:${QUEUE.collect}:wait`, 0, `${runId}.seq-y`);

  const queues = reconcileQueues();
  expect(await reconcile({ ...flowDeps, ...queues, db: t.db, log: silentLog }, 0)).toEqual([{ runId, enqueued: ['seq-y'] }]);
  await closeQueues(queues);
  worker = spawnWorker(path.join(dir, 'sources.json'), {
    DATABASE_URL: t.url, REDIS_URL: redisUrl, CREDIT_ETL_QUEUE_PREFIX: conn.prefix, CREDIT_ETL_RETRY_DELAY_MS: '100', CREDIT_ETL_JOB_LOCK_MS: '2000',
  });
  const report = await eventually(async () => {
    const r = await getRun(t.db, runId);
    return r?.status === 'running' ? undefined : (r!.report as RunReport);
  });
  expect(report.sources.map((s) => [s.sourceId, s.status, s.inserted])).toEqual([['seq-x', 'succeeded', 100], ['seq-y', 'succeeded', 100]]);
});
