import { describe, expect, it } from 'vitest';
import { backoffMs, DEFAULT_POLICY, retryAfterMs } from './policy.ts';

describe('retry policy', () => {
  const policy = { ...DEFAULT_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };

  it('backs off exponentially with jitter between half and all of the step, capped', () => {
    expect([0, 1, 2, 3, 10].map((n) => backoffMs(policy, n, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([0, 1, 2, 3, 10].map((n) => backoffMs(policy, n, () => 0.999999))).toEqual([100, 200, 400, 800, 1000].map((x) => expect.closeTo(x, 2)));
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2025-07-01T00:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs('Tue, 01 Jul 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Mon, 30 Jun 2025 00:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});
