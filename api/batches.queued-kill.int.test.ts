// A queued upload whose worker process is killed (SIGKILL) in the middle of its batch: PostgreSQL
// rolls the batch's transaction back, the registered row stays `received` with nothing loaded, and
// a new worker process takes the job over and completes the same batch.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateCsvChunks } from '../testkit/generate-fixtures.ts';
import { connectQueues, type QueueConnection } from '../jobs/connection.ts';
import { QUEUE, type JobPayloads } from '../jobs/queues.ts';
import { loadCollectionConfig } from '../config/config.ts';
import { createApiHarness, multipart, type ApiHarness } from '../test/helpers/api.ts';
import { deletePrefix, eventually, REDIS_URL, spawnWorker, testPrefix, type WorkerProcess } from '../test/helpers/collect.ts';

const cfg = loadCollectionConfig({ REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: testPrefix(), CREDIT_ETL_RETRY_DELAY_MS: '100', CREDIT_ETL_JOB_LOCK_MS: '2000' });
const ROWS = 60_000;
let conn: QueueConnection;
let queue: Queue<JobPayloads[typeof QUEUE.upload]>;
let h: ApiHarness;
let dir: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  conn = connectQueues(cfg);
  queue = new Queue(QUEUE.upload, { connection: conn.connection, prefix: conn.prefix });
  h = await createApiHarness('api_queued_kill', { uploadQueue: { queue, retryDelayMs: cfg.retryDelayMs } });
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-queued-kill-'));
  writeFileSync(path.join(dir, 'sources.json'), '[]');
});
afterAll(async () => {
  for (const w of workers) {
    w.child.kill('SIGKILL');
    await w.exited;
  }
  await queue?.close();
  await conn?.connection.quit();
  await deletePrefix(REDIS_URL, cfg.queuePrefix);
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const start = async () => {
  const w = spawnWorker(path.join(dir, 'sources.json'), {
    DATABASE_URL: h.t.url, REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: cfg.queuePrefix, CREDIT_ETL_JOB_LOCK_MS: String(cfg.jobLockMs), CREDIT_ETL_RETRY_DELAY_MS: '100',
  });
  workers.push(w);
  await w.ready;
  return w;
};

it('leaves the batch received with nothing loaded when its worker is killed mid-batch, and a new worker completes it', async () => {
  const content = Buffer.from([...generateCsvChunks({ category: 'penalty', rows: ROWS, seed: 'queued-kill' })].join(''));
  const ndrc = await h.token('provider', '市发展改革委');
  const body = multipart({ category: 'penalty' }, { name: 'big.csv', content });
  const posted = await h.app.inject({ method: 'POST', url: '/batches', payload: body.payload, headers: { ...body.headers, ...ndrc } });
  expect(posted.statusCode).toBe(202);
  const id = posted.json().batchId;

  const first = await start();
  // Mid-batch: the worker's batch transaction is copying a chunk's rows into the store.
  await eventually(async () => {
    const { rows } = await h.t.db.knex.raw(`SELECT 1 FROM pg_stat_activity WHERE datname = ? AND query ILIKE 'COPY credit_records%' AND state = 'active'`, [h.t.name]);
    return rows.length ? true : undefined;
  }, 20);
  first.child.kill('SIGKILL');
  await first.exited;
  // PostgreSQL rolls the transaction back once it sees the connection gone.
  await eventually(async () => {
    const { rows } = await h.t.db.knex.raw(`SELECT 1 FROM pg_stat_activity WHERE datname = ? AND query ILIKE 'COPY credit_records%'`, [h.t.name]);
    return rows.length ? undefined : true;
  }, 50);
  const left = (await h.app.inject({ url: `/batches/${id}`, headers: ndrc })).json();
  expect(left).toMatchObject({ id, status: 'received', counts: { read: 0, accepted: 0, rejected: 0 } });
  expect(await h.t.db.knex('credit_records').where({ batch_id: id }).count('* as n')).toEqual([{ n: 0 }]);
  expect(await h.t.db.knex('rejected_rows').where({ batch_id: id }).count('* as n')).toEqual([{ n: 0 }]);

  await start();
  const done = await eventually(async () => {
    const b = (await h.app.inject({ url: `/batches/${id}`, headers: ndrc })).json();
    return b.status === 'received' ? undefined : b;
  });
  expect(done).toMatchObject({ id, status: 'loaded', deliveredBy: '临沂市发展和改革委员会', counts: { read: ROWS } });
  const c = done.counts;
  expect(c.read).toBe(c.accepted + c.rejected);
  expect(c.accepted).toBe(c.inserted + c.updated + c.unchanged + c.duplicates);
  expect(await h.t.db.knex('batches').where({ id }).count('* as n')).toEqual([{ n: 1 }]);
}, 180_000);
