// GET-JSON with the source's policy: rate limit, timeout, retries with backoff and jitter for 5xx,
// timeouts and network errors, 429 waited out per Retry-After; a 4xx or a body that is not JSON is
// a typed, non-retryable error at once. Logs each outbound URL (secrets travel in headers only).
import { setTimeout as sleep } from 'node:timers/promises';
import { MalformedPayloadError, ProviderAuthError, ProviderRejectedError, ProviderUnavailableError } from '../errors.ts';
import type { ConnectorContext } from '../types.ts';
import { authHeaders, type HttpAuth } from './auth.ts';
import { backoffMs, policyOf, retryAfterMs, type HttpPolicy } from './policy.ts';
import { RateLimiter } from './rate-limit.ts';

export interface HttpClient {
  getJson(url: URL): Promise<unknown>;
}

/** A retryable outcome of one attempt, with the wait the provider asked for (429). */
class Transient {
  constructor(readonly reason: string, readonly status: number | null, readonly waitMs?: number) {}
}

const snippet = (s: string) => s.replace(/\s+/g, ' ').slice(0, 200);

/** The fields both HTTP kinds' configurations have for calling the provider. */
export interface HttpSourceConfig {
  readonly id: string;
  readonly auth: HttpAuth;
  readonly http?: Partial<HttpPolicy>;
}

export function createHttpClient(ctx: ConnectorContext, cfg: HttpSourceConfig): HttpClient {
  const source = cfg.id;
  const policy = policyOf(cfg.http);
  const headers = authHeaders(ctx, cfg.auth, source);
  const limiter = new RateLimiter(policy.requestsPerSecond);
  const log = ctx.log.child({ source });

  async function attempt(url: URL): Promise<unknown> {
    await limiter.take(ctx.signal);
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(policy.timeoutMs)]);
    let res: Response;
    let body: string;
    try {
      res = await fetch(url, { headers: { accept: 'application/json', ...headers }, signal });
      body = await res.text();
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      const err = e as Error;
      return new Transient(err.name === 'TimeoutError' ? `timeout after ${policy.timeoutMs} ms` : `${err.name}: ${err.message}`, null);
    }
    // Only for the errors below: a successful page's body is not scanned for the snippet.
    const details = () => ({ source, url: url.toString(), status: res.status, body: snippet(body) });
    if (res.status === 429) return new Transient('429 Too Many Requests', 429, retryAfterMs(res.headers.get('retry-after'), ctx.now()));
    if (res.status >= 500 || res.status === 408) return new Transient(`HTTP ${res.status}`, res.status);
    if (res.status === 401 || res.status === 403) {
      throw new ProviderAuthError(`数据源 ${source} 拒绝了凭证（HTTP ${res.status}）`, `source ${source} refused the credentials (HTTP ${res.status})`, details());
    }
    if (res.status >= 400) {
      throw new ProviderRejectedError(`数据源 ${source} 拒绝了请求（HTTP ${res.status}）：${snippet(body)}`, `source ${source} rejected the request (HTTP ${res.status}): ${snippet(body)}`, details());
    }
    try {
      return JSON.parse(body);
    } catch {
      throw new MalformedPayloadError(`数据源 ${source} 返回的内容不是 JSON`, `source ${source} answered with a body that is not JSON`, details());
    }
  }

  return {
    async getJson(url) {
      for (let n = 0; ; n++) {
        log.debug({ url: url.toString(), attempt: n + 1 }, 'GET');
        const out = await attempt(url);
        if (!(out instanceof Transient)) return out;
        const wait = out.waitMs ?? backoffMs(policy, n);
        if (n >= policy.retries || wait > policy.maxRetryAfterMs) {
          throw new ProviderUnavailableError(`数据源 ${source} 暂时不可用（${out.reason}，已尝试 ${n + 1} 次）`,
            `source ${source} is unavailable (${out.reason}, ${n + 1} attempts)`, { source, url: url.toString(), status: out.status, attempts: n + 1 });
        }
        log.warn({ url: url.toString(), reason: out.reason, attempt: n + 1, retryInMs: Math.round(wait), retryAfter: out.waitMs !== undefined }, 'retrying');
        await sleep(wait, undefined, { signal: ctx.signal });
      }
    },
  };
}
