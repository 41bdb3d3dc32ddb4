// What each answer means, and the schedule, worked out by hand from the Standard Webhooks example.
import { expect, it } from 'vitest';
import { afterAttempt, retryAfterMs, RETRY_SCHEDULE_MS } from './retry.ts';

const now = new Date('2026-12-05T00:00:00Z');
const at = (ms: number) => new Date(now.getTime() + ms);

it('2xx succeeds, 410 is gone, anything else (3xx, 4xx, 5xx, no answer) retries', () => {
  expect(afterAttempt(1, 200, now)).toEqual({ kind: 'succeeded' });
  expect(afterAttempt(3, 204, now)).toEqual({ kind: 'succeeded' });
  expect(afterAttempt(1, 410, now)).toEqual({ kind: 'gone' });
  for (const s of [301, 400, 404, 429, 500, 503, undefined]) expect(afterAttempt(1, s, now)).toEqual({ kind: 'retry', nextAt: at(5_000) });
});

it('retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; the eighth failure is final', () => {
  const h = 3_600_000;
  expect(RETRY_SCHEDULE_MS).toEqual([5_000, 5 * 60_000, 30 * 60_000, 2 * h, 5 * h, 10 * h, 10 * h]);
  expect([1, 2, 3, 4, 5, 6, 7].map((n) => (afterAttempt(n, 500, now) as { nextAt: Date }).nextAt.getTime() - now.getTime())).toEqual([...RETRY_SCHEDULE_MS]);
  expect(afterAttempt(8, 500, now)).toEqual({ kind: 'exhausted' });
  expect(RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0)).toBe(99_305_000); // 27 h 35 min 5 s
});

it('Retry-After (seconds or an HTTP date) postpones a retry, never hastens it', () => {
  expect(retryAfterMs('120', now)).toBe(120_000);
  expect(retryAfterMs('Sat, 05 Dec 2026 00:10:00 GMT', now)).toBe(600_000);
  expect(retryAfterMs('soon', now)).toBeUndefined();
  expect(afterAttempt(1, 429, now, 120_000)).toEqual({ kind: 'retry', nextAt: at(120_000) });
  expect(afterAttempt(3, 503, now, 60_000)).toEqual({ kind: 'retry', nextAt: at(30 * 60_000) });
});
