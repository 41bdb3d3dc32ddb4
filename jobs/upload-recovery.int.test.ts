// A queued upload whose job Redis lost (a restart without persistence) is not stranded: its batch
// stays `received` in PostgreSQL with the job's payload, and a worker's reconciler enqueues it again,
// once; the upload then loads exactly. A redis-server of the test's own is restarted for the loss.
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadCollectionConfig } from '../config/config.ts';
import { createApiHarness, multipart, type ApiHarness } from '../test/helpers/api.ts';
import { eventually, testPrefix } from '../test/helpers/collect.ts';
import { fixture, silentLog } from '../test/helpers/ingest.ts';
import { startRedisServer, type RedisServer } from '../test/helpers/redis-server.ts';
import { connectQueues, type QueueConnection } from './connection.ts';
import { jobId, QUEUE, type JobPayloads } from './queues.ts';
import { reconcileUploads } from './reconciler.ts';
import { startCollectionWorker, type CollectionWorker } from './worker.ts';

let redis: RedisServer;
let conn: QueueConnection;
let queue: Queue<JobPayloads[typeof QUEUE.upload]>;
let h: ApiHarness;
let worker: CollectionWorker | undefined;
let cfg: ReturnType<typeof loadCollectionConfig>;

beforeAll(async () => {
  redis = await startRedisServer();
  cfg = loadCollectionConfig({ REDIS_URL: redis.url, CREDIT_ETL_QUEUE_PREFIX: testPrefix(), CREDIT_ETL_RETRY_DELAY_MS: '100', CREDIT_ETL_JOB_LOCK_MS: '5000', CREDIT_ETL_RECONCILE_MS: '500' });
  conn = connectQueues(cfg);
  conn.connection.on('error', () => undefined);
  queue = new Queue(QUEUE.upload, { connection: conn.connection, prefix: conn.prefix });
  queue.on('error', () => undefined);
  h = await createApiHarness('upload_recovery', { uploadQueue: { queue, retryDelayMs: cfg.retryDelayMs } });
});
afterAll(async () => {
  await worker?.close();
  await queue?.close();
  conn?.connection.disconnect();
  await redis?.stop();
  await h?.close();
});

it('re-enqueues a received upload whose job Redis lost, once, and the upload loads exactly', async () => {
  const auth = await h.token('provider', '市发展改革委');
  const body = multipart({ category: 'penalty' }, { name: '处罚信息.csv', content: readFileSync(fixture('dirty/penalty.bad-values.csv')) });
  const posted = await h.app.inject({ method: 'POST', url: '/batches', payload: body.payload, headers: { ...body.headers, ...auth } });
  expect(posted.statusCode).toBe(202);
  const { batchId } = posted.json();
  // A young upload's job is left alone: it may be on its way into Redis.
  expect(await reconcileUploads({ db: h.t.db, log: silentLog, uploadQueue: queue, retryDelayMs: 100 }, 60_000)).toEqual([]);
  // Its job exists: nothing to do even for an old one.
  expect(await reconcileUploads({ db: h.t.db, log: silentLog, uploadQueue: queue, retryDelayMs: 100 }, 0)).toEqual([]);

  await redis.stop();
  await redis.start();
  await eventually(async () => (conn.connection.status === 'ready' ? true : undefined));
  expect(await queue.getJob(jobId.upload(batchId))).toBeUndefined();
  expect(await h.t.db.knex('batches').where({ id: batchId }).first('status')).toEqual({ status: 'received' });

  // The worker's own reconciler, at start and every CREDIT_ETL_RECONCILE_MS, finds it.
  worker = await startCollectionWorker({ db: h.t.db, log: silentLog, cfg, conn });
  const batch = await eventually(async () => {
    const b = await h.t.db.knex('batches').where({ id: batchId }).first();
    return b.status === 'received' ? undefined : b;
  });
  const want = JSON.parse(readFileSync(fixture('dirty/expected.json'), 'utf8'))['penalty.bad-values.csv'];
  expect(batch).toMatchObject({ status: 'loaded', read: want.records, accepted: want.accepted, rejected: want.rejected.length, inserted: want.accepted, file_name: '处罚信息.csv' });
  expect(Number((await h.t.db.knex('credit_records').count({ n: '*' }))[0].n)).toBe(want.accepted);
  // The batch commits before the worker tells Redis the job is done: wait while it is still active.
  const state = await eventually(async () => {
    const s = await (await queue.getJob(jobId.upload(batchId)))!.getState();
    return s === 'active' ? undefined : s;
  });
  expect(state).toBe('completed');
  expect((await queue.getJob(jobId.upload(batchId)))!.attemptsMade).toBe(1);
});
