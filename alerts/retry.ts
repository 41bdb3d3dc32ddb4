// What an attempt's answer means for the delivery (Standard Webhooks): 2xx delivered; 410 Gone
// disables the endpoint; anything else, a timeout or a refused connection is retried on the
// specification's schedule, honouring Retry-After when the receiver asks to be left alone longer.

/** Delay before each retry after the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 27.6 h in all). */
export const RETRY_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] as const;

export type AttemptOutcome =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'gone' }
  | { readonly kind: 'retry'; readonly nextAt: Date }
  | { readonly kind: 'exhausted' };

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now: Date): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const t = Date.parse(header);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now.getTime());
}

/** After attempt number `attempt` (1 = the first) answered `status` (undefined: no answer). */
export function afterAttempt(attempt: number, status: number | undefined, now: Date, retryAfter?: number): AttemptOutcome {
  if (status !== undefined && status >= 200 && status < 300) return { kind: 'succeeded' };
  if (status === 410) return { kind: 'gone' };
  const delay = RETRY_SCHEDULE_MS[attempt - 1];
  if (delay === undefined) return { kind: 'exhausted' };
  return { kind: 'retry', nextAt: new Date(now.getTime() + Math.max(delay, retryAfter ?? 0)) };
}
