// How an HTTP source is called: timeouts, retries and the rate limit, as configured per source.
// The defaults suit a provider's production API; tests shorten the delays through the same fields.

export interface HttpPolicy {
  /** Per request, from sending to the end of the body. */
  readonly timeoutMs: number;
  /** Further attempts after the first one, for 5xx, 429, timeouts and network errors. */
  readonly retries: number;
  /** Backoff before retry n: up to min(maxDelayMs, baseDelayMs * 2^n), with jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A Retry-After longer than this is not waited out in the job: the error goes back to the queue. */
  readonly maxRetryAfterMs: number;
  /** Requests per second to this source. */
  readonly requestsPerSecond: number;
}

export const DEFAULT_POLICY: HttpPolicy = { timeoutMs: 30_000, retries: 4, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000, requestsPerSecond: 5 };

/** JSON Schema of the `http` block of an HTTP source (every field optional). */
export const httpPolicySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    timeoutMs: { type: 'integer', minimum: 1 },
    retries: { type: 'integer', minimum: 0, maximum: 20 },
    baseDelayMs: { type: 'integer', minimum: 0 },
    maxDelayMs: { type: 'integer', minimum: 0 },
    maxRetryAfterMs: { type: 'integer', minimum: 0 },
    requestsPerSecond: { type: 'number', exclusiveMinimum: 0 },
  },
} as const;

export function policyOf(cfg: Partial<HttpPolicy> | undefined): HttpPolicy {
  return { ...DEFAULT_POLICY, ...cfg };
}

/** Exponential backoff with equal jitter: never zero (so retries spread out), never above the cap. */
export function backoffMs(policy: HttpPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
