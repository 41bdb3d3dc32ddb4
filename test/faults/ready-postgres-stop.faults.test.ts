// /ready tells a load balancer the truth: with PostgreSQL stopped it answers 503 naming the database
// (within its check timeout, not hanging), /health stays 200 (the process is alive), and once
// PostgreSQL is back /ready is 200 again without restarting the service. This stops the machine's
// PostgreSQL, so it runs alone (vitest.faults.config.ts); skipped where the cluster cannot be stopped.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { createTestDb, type TestDb } from '../helpers/pg.ts';
import { canRestartPg, startPg, stopPg, untilPgUp } from '../helpers/pg-restart.ts';

let t: TestDb;
let app: FastifyInstance;

beforeAll(async () => {
  if (!canRestartPg) return;
  t = await createTestDb('ready_stop');
  app = await buildApp({ db: t.db });
});
afterAll(async () => {
  if (!canRestartPg) return;
  await app?.close();
  await t?.drop();
});

it.skipIf(!canRestartPg)('/ready goes 503 while PostgreSQL is stopped and 200 once it is back', async () => {
  expect((await app.inject({ url: '/ready' })).statusCode).toBe(200);
  stopPg();
  try {
    const down = await app.inject({ url: '/ready' });
    expect(down.statusCode).toBe(503);
    expect(down.json().status).toBe('not ready');
    expect(down.json().checks.database.ok).toBe(false);
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
  } finally {
    startPg();
    await untilPgUp(t.url);
  }
  // The pool drops its dead connections and opens new ones; no restart of the service.
  let ready = await app.inject({ url: '/ready' });
  for (let i = 0; i < 20 && ready.statusCode !== 200; i++) ready = await app.inject({ url: '/ready' });
  expect(ready.statusCode).toBe(200);
});
