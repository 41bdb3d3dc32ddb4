// The per-token rate limit: counted per token, not per address, so one busy unit does not slow another.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../test/helpers/api.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness('api_rate', { limits: { requestsPerMinute: 3 } });
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
