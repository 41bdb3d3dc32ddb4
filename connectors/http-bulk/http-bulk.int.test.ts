// The bulk HTTP connector against the stand-in providers (real servers on 127.0.0.1): the three
// paging styles, exactly the delta after changes (ties on the watermark at page and run
// boundaries included), retries with backoff, Retry-After, timeouts, and typed data errors.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isUnrecoverable, MalformedPayloadError, ProviderAuthError, ProviderRejectedError, ProviderUnavailableError } from '../errors.ts';
import { connectorConformance } from '../../testkit/stand-ins/conformance.ts';
import { demoSource, plainContext, readAll, recordingLogger } from '../../testkit/stand-ins/run.ts';
import { startStandIns, type StandIns } from '../../testkit/stand-ins/stand-ins.ts';
import type { ApiId } from '../../testkit/stand-ins/apis.ts';
import { httpBulk, type HttpBulkConfig } from './index.ts';

const FAST = { timeoutMs: 400, retries: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5_000, requestsPerSecond: 1000 };
const BULK: readonly (readonly [string, ApiId, string])[] = [
  ['licensing-platform-api', 'licensing', 'page'], ['penalty-platform-api', 'penalty', 'token'], ['enforcement-platform-api', 'enforcement', 'offset'],
];
const idOf = (r: Record<string, unknown>) => String(r.ID);

for (const [id, api, style] of BULK) {
  describe(`conformance: ${id} (${style} paging)`, () => {
    connectorConformance<HttpBulkConfig>({
      connector: httpBulk,
      rowKey: idOf,
      async open() {
        const s = await startStandIns();
        return { cfg: demoSource<HttpBulkConfig>(s, id, { http: FAST }), ctx: plainContext(s.env), expected: s.control.api(api).records().length, close: s.close };
      },
    });
  });
}

describe('http-bulk against a running provider', () => {
  let s: StandIns;
  beforeAll(async () => {
    s = await startStandIns();
  });
  afterAll(() => s?.close());
  beforeEach(() => {
    s.calls.clear();
    for (const [, api] of BULK) s.control.api(api).reset();
  });
  const cfg = (id = 'licensing-platform-api', over: Partial<HttpBulkConfig> = {}) => demoSource<HttpBulkConfig>(s, id, { http: FAST, ...over });

  for (const [id, api, style] of BULK) {
    it(`${style} paging: the next run reads exactly the records added and changed, including ties on the watermark`, async () => {
      const ctx = plainContext(s.env);
      const first = await readAll(cfg(id), ctx);
      const added = s.control.api(api).add(3);
      const tied = s.control.api(api).add(2, { atLatest: true });
      const changed = s.control.api(api).modify(2);
      const second = await readAll(cfg(id), ctx, first.cursor);
      expect(tied[0].updated).toBe(added[0].updated);
      expect(second.rows.map(idOf).sort()).toEqual([...added, ...tied, ...changed].map((r) => r.id).sort());
      expect(second.rows.filter((r) => changed.some((c) => c.id === idOf(r))).every((r) => r.BZ === '信息更正')).toBe(true);
      // A record stamped with the watermark's own time after the run is still picked up, once.
      const late = s.control.api(api).add(1, { atLatest: true });
      const third = await readAll(cfg(id), ctx, second.cursor);
      expect(third.rows.map(idOf)).toEqual(late.map((r) => r.id));
      expect((await readAll(cfg(id), ctx, third.cursor)).rows).toEqual([]);
    });
  }

  it('pages smaller than a group of records sharing one time still read each record once', async () => {
    const c = cfg('licensing-platform-api', { pagination: { style: 'page', pageParam: 'page', sizeParam: 'page_size', size: 2, firstPage: 1 } });
    const { rows } = await readAll(c, plainContext(s.env));
    const ids = rows.map(idOf);
    expect(ids.length).toBe(s.control.api('licensing').records().length);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('retries 500s with backoff and succeeds when the provider recovers', async () => {
    const { log, records } = recordingLogger();
    s.control.api('penalty').fail(500, 2);
    const { rows } = await readAll(cfg('penalty-platform-api'), plainContext(s.env, log));
    expect(rows.length).toBe(s.control.api('penalty').records().length);
    expect(s.calls.list('penalty').slice(0, 3).map((c) => c.status)).toEqual([500, 500, 200]);
    expect(records.filter((r) => r.msg === 'retrying').map((r) => r.reason)).toEqual(['HTTP 500', 'HTTP 500']);
  });

  it('waits as long as a 429 Retry-After says, then goes on', async () => {
    const { log, records } = recordingLogger();
    s.control.api('licensing').rateLimit(1, 1);
    const { rows } = await readAll(cfg(), plainContext(s.env, log));
    expect(rows.length).toBe(s.control.api('licensing').records().length);
    expect(s.calls.list('licensing')[0].status).toBe(429);
    expect(records.find((r) => r.msg === 'retrying')).toMatchObject({ reason: '429 Too Many Requests', retryInMs: 1000, retryAfter: true });
  });

  it('a Retry-After longer than the source allows is not waited out in the job: retryable, for the queue to try later', async () => {
    s.control.api('licensing').rateLimit(1, 3600);
    await expect(readAll(cfg(), plainContext(s.env))).rejects.toMatchObject({ code: 'E_PROVIDER_UNAVAILABLE', retryable: true, details: { status: 429, attempts: 1 } });
    expect(s.calls.list('licensing')).toHaveLength(1);
  });

  it('gives up on a request that does not answer within the timeout and tries again', async () => {
    const { log, records } = recordingLogger();
    s.control.api('enforcement').hang(1);
    const { rows } = await readAll(cfg('enforcement-platform-api'), plainContext(s.env, log));
    expect(rows.length).toBe(s.control.api('enforcement').records().length);
    expect(records.find((r) => r.msg === 'retrying')?.reason).toMatch(/^timeout after 400 ms/);
  });

  it('a provider still failing after the retries is a retryable E_PROVIDER_UNAVAILABLE', async () => {
    s.control.api('licensing').fail(503, 10);
    const err = await readAll(cfg(), plainContext(s.env)).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err).toMatchObject({ code: 'E_PROVIDER_UNAVAILABLE', retryable: true, details: { attempts: 4, status: 503 } });
    expect(isUnrecoverable(err)).toBe(false);
    expect(s.calls.list('licensing')).toHaveLength(4);
  });

  it('a 4xx is a data error at once: E_PROVIDER_REJECTED, not retryable, one call', async () => {
    s.control.api('penalty').fail(422);
    const err = await readAll(cfg('penalty-platform-api'), plainContext(s.env)).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderRejectedError);
    expect(err).toMatchObject({ code: 'E_PROVIDER_REJECTED', retryable: false, details: { status: 422 } });
    expect(err.messageZh).toMatch(/拒绝了请求/);
    expect(isUnrecoverable(JSON.parse(JSON.stringify({ ...err, retryable: err.retryable })))).toBe(true);
    expect(s.calls.list('penalty')).toHaveLength(1);
  });

  it('a request the provider finds invalid (page too large) is a data error too', async () => {
    const c = cfg('enforcement-platform-api', { pagination: { style: 'offset', offsetParam: 'offset', sizeParam: 'limit', size: 5000 } });
    await expect(readAll(c, plainContext(s.env))).rejects.toMatchObject({ code: 'E_PROVIDER_REJECTED', details: { status: 400 } });
  });

  it('a 200 that is not the API\'s JSON is E_PAYLOAD_MALFORMED, not retried', async () => {
    s.control.api('licensing').malformed();
    const err = await readAll(cfg(), plainContext(s.env)).catch((e) => e);
    expect(err).toBeInstanceOf(MalformedPayloadError);
    expect(err).toMatchObject({ code: 'E_PAYLOAD_MALFORMED', retryable: false });
    expect(s.calls.list('licensing')).toHaveLength(1);
  });

  it('an answer without the configured records array is malformed', async () => {
    await expect(readAll(cfg('licensing-platform-api', { recordsPath: 'data.items' }), plainContext(s.env))).rejects.toMatchObject({ code: 'E_PAYLOAD_MALFORMED' });
  });

  it('wrong or missing credentials: E_PROVIDER_AUTH, and a missing secret is never sent for', async () => {
    await expect(readAll(cfg(), plainContext({ ...s.env, DEMO_CREDIT_PLATFORM_TOKEN: 'wrong' }))).rejects.toMatchObject({ code: 'E_PROVIDER_AUTH', details: { status: 401 } });
    s.calls.clear();
    await expect(readAll(cfg(), plainContext({ ...s.env, DEMO_CREDIT_PLATFORM_TOKEN: undefined }))).rejects.toMatchObject({ code: 'E_PROVIDER_AUTH', retryable: false });
    expect(s.calls.list()).toEqual([]);
  });
});
