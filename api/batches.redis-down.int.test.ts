// Uploads with Redis down: the service's producer connection fails fast, so POST /batches answers
// 503 E_QUEUE_UNAVAILABLE at once instead of hanging until Redis returns (a hang fails this test by
// its timeout). Nothing of the upload is kept but the batch row saying why; once Redis is back the
// same upload is queued. Runs a redis-server of its own, which it stops and starts.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectProducer, type QueueConnection } from '../jobs/connection.ts';
import { QUEUE, type JobPayloads } from '../jobs/queues.ts';
import { loadCollectionConfig } from '../config/config.ts';
import { createApiHarness, multipart, type ApiHarness } from '../test/helpers/api.ts';
import { testPrefix } from '../test/helpers/collect.ts';
import { fixture } from '../test/helpers/ingest.ts';
import { startRedisServer, type RedisServer } from '../test/helpers/redis-server.ts';

let redis: RedisServer;
let conn: QueueConnection;
let queue: Queue<JobPayloads[typeof QUEUE.upload]>;
let h: ApiHarness;
let uploadDir: string;

beforeAll(async () => {
  redis = await startRedisServer();
  conn = connectProducer(loadCollectionConfig({ REDIS_URL: redis.url, CREDIT_ETL_QUEUE_PREFIX: testPrefix() }));
  conn.connection.on('error', () => undefined); // reconnect attempts while the server is down
  queue = new Queue(QUEUE.upload, { connection: conn.connection, prefix: conn.prefix });
  queue.on('error', () => undefined);
  await queue.waitUntilReady();
  uploadDir = mkdtempSync(path.join(tmpdir(), 'credit-etl-redis-down-'));
  h = await createApiHarness('api_redis_down', { uploadQueue: { queue, retryDelayMs: 100 }, uploadDir });
});
afterAll(async () => {
  await queue?.close();
  conn?.connection.disconnect();
  await redis?.stop();
  await h?.close();
  rmSync(uploadDir, { recursive: true, force: true });
});

const post = async () => {
  const auth = await h.token('provider', '市发展改革委');
  const body = multipart({ category: 'penalty' }, { name: 'penalty.csv', content: readFileSync(fixture('penalty.csv')) });
  return h.app.inject({ method: 'POST', url: '/batches', payload: body.payload, headers: { ...body.headers, ...auth } });
};

it('answers 503 E_QUEUE_UNAVAILABLE while Redis is down, records why, keeps no file, and queues again once Redis is back', async () => {
  await redis.stop();
  const down = await post();
  expect(down.statusCode).toBe(503);
  expect(down.json()).toMatchObject({ code: 'E_QUEUE_UNAVAILABLE', messageZh: expect.stringContaining('请稍后重新上传') });
  const failed = await h.t.db.knex('batches').select('status', 'error', 'file_name');
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ status: 'failed', file_name: 'penalty.csv', error: expect.stringContaining('E_QUEUE_UNAVAILABLE') });
  expect(Number((await h.t.db.knex('credit_records').count({ n: '*' }))[0].n)).toBe(0);
  expect(readdirSync(uploadDir)).toEqual([]);

  await redis.start();
  let up;
  for (let i = 0; i < 100; i++) {
    up = await post();
    if (up.statusCode !== 503) break;
    await new Promise((r) => setTimeout(r, 100)); // ioredis reconnecting
  }
  expect(up!.statusCode).toBe(202);
  expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
});
