// The per-token rate limit: counted per token, not per address, so one busy unit does not slow another.
// Failed authentication: counted per address, before any token is looked at, and logged.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../test/helpers/api.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness('api_rate', { limits: { requestsPerMinute: 3 }, authFailuresPerMinute: 20 });
});
afterAll(async () => {
  await h?.close();
});

it('answers 429 in Chinese and English once a token is over its limit, and keeps serving other tokens', async () => {
  const busy = await h.token('provider', 'ndrc');
  const other = await h.token('provider', 'bigdata');
  const codes = [];
  for (let i = 0; i < 4; i++) codes.push((await h.app.inject({ url: '/batches', headers: busy })).statusCode);
  expect(codes).toEqual([200, 200, 200, 429]);
  const limited = await h.app.inject({ url: '/batches', headers: busy });
  expect(limited.json()).toMatchObject({ code: 'E_RATE_LIMITED', messageZh: expect.stringContaining('频繁') });
  expect((await h.app.inject({ url: '/batches', headers: other })).statusCode).toBe(200);
});

it('refuses an address that keeps guessing tokens, logs the block once, and keeps serving other addresses', async () => {
  const valid = await h.token('analyst', '临沂某银行');
  const codes = new Map<number, number>();
  for (let i = 0; i < 800; i++) {
    const r = await h.app.inject({ url: '/records', remoteAddress: '203.0.113.9', headers: { authorization: `Bearer cetl_guess${i.toString().padStart(40, '0')}` } });
    codes.set(r.statusCode, (codes.get(r.statusCode) ?? 0) + 1);
  }
  expect(Object.fromEntries(codes)).toEqual({ 401: 20, 429: 780 });
  const blocked = await h.app.inject({ url: '/records', remoteAddress: '203.0.113.9', headers: valid });
  expect(blocked.statusCode).toBe(429);
  expect(blocked.json()).toMatchObject({ code: 'E_AUTH_RATE_LIMITED' });
  expect((await h.app.inject({ url: '/records', remoteAddress: '198.51.100.7', headers: valid })).statusCode).toBe(200);
  const log = await h.t.db.knex('access_log').where({ action: 'auth.blocked' });
  expect(log.map((e) => [e.actor_unit, e.detail.failures])).toEqual([['ip:203.0.113.9', 20]]);
});
