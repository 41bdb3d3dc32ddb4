// Bull Board for operators: everyone who reaches it may look, only the admin may act.
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, testPrefix } from '../test/helpers/collect.ts';
import { buildBoard } from './board.ts';
import { connectQueues, type QueueConnection } from './connection.ts';
import { loadCollectionConfig } from '../config/config.ts';
import { QUEUE } from './queues.ts';

const cfg = loadCollectionConfig({ REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: testPrefix() });
let conn: QueueConnection;
let queue: Queue;
let app: FastifyInstance;
const admin = { authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}` };

beforeAll(async () => {
  conn = connectQueues(cfg);
  queue = new Queue(QUEUE.collect, { connection: conn.connection, prefix: conn.prefix });
  app = await buildBoard([queue], 's3cret');
});
afterAll(async () => {
  await app?.close();
  await queue?.close();
  await conn?.connection.quit();
  await deletePrefix(REDIS_URL, cfg.queuePrefix);
});

it('shows the queues read-only to anyone and refuses actions there', async () => {
  const page = await app.inject({ url: '/board' });
  expect(page.statusCode).toBe(200);
  const queues = await app.inject({ url: '/board/api/queues' });
  expect(queues.statusCode).toBe(200);
  expect(queues.json().queues.map((q: { name: string; readOnlyMode: boolean }) => [q.name, q.readOnlyMode])).toEqual([[QUEUE.collect, true]]);
  const pause = await app.inject({ method: 'PUT', url: `/board/api/queues/${QUEUE.collect}/pause` });
  expect(pause.statusCode).toBe(405);
  expect(await queue.isPaused()).toBe(false);
});

it('lets the admin act on /admin/board, and nobody else in', async () => {
  expect((await app.inject({ url: '/admin/board' })).statusCode).toBe(401);
  expect((await app.inject({ url: '/admin/board', headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` } })).statusCode).toBe(401);
  expect((await app.inject({ method: 'PUT', url: `/admin/board/api/queues/${QUEUE.collect}/pause` })).statusCode).toBe(401);
  expect((await app.inject({ url: '/admin/board', headers: admin })).statusCode).toBe(200);
  const pause = await app.inject({ method: 'PUT', url: `/admin/board/api/queues/${QUEUE.collect}/pause`, headers: admin });
  expect(pause.statusCode).toBe(200);
  expect(await queue.isPaused()).toBe(true);
});
