// /ready tells a load balancer the truth: with PostgreSQL stopped it answers 503 naming the database
// (within its check timeout, not hanging), /health stays 200 (the process is alive), and once
// PostgreSQL is back /ready is 200 again without restarting the service. This stops the machine's
// PostgreSQL, so it runs alone (vitest.faults.config.ts); skipped where the cluster cannot be stopped.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { canRestartPg, startPg, stopPg, untilPgUp } from '../helpers/pg-restart.ts';

let h: ApiHarness;

beforeAll(async () => {
  if (!canRestartPg) return;
  h = await createApiHarness('ready_stop');
});
afterAll(async () => {
  if (!canRestartPg) return;
  await h?.close();
});

it.skipIf(!canRestartPg)('/ready goes 503 while PostgreSQL is stopped and 200 once it is back', async () => {
  expect((await h.app.inject({ url: '/ready' })).statusCode).toBe(200);
  stopPg();
  try {
    const down = await h.app.inject({ url: '/ready' });
    expect(down.statusCode).toBe(503);
    expect(down.json().status).toBe('not ready');
    expect(down.json().checks.database.ok).toBe(false);
    expect((await h.app.inject({ url: '/health' })).statusCode).toBe(200);
  } finally {
    startPg();
    await untilPgUp(h.t.url);
  }
  // The pool drops its dead connections and opens new ones; no restart of the service.
  let ready = await h.app.inject({ url: '/ready' });
  for (let i = 0; i < 20 && ready.statusCode !== 200; i++) ready = await h.app.inject({ url: '/ready' });
  expect(ready.statusCode).toBe(200);
});
