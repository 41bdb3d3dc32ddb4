// The alert worker: relays the outbox (store/alerts.ts) and delivers webhooks on BullMQ, one job per
// attempt. Retries are not BullMQ's own backoff: each attempt's outcome and its next due time go to
// the database (alerts/retry.ts has the schedule), and the tick claims and enqueues attempts as they
// fall due by the injected clock. So a crash anywhere loses nothing (the tick finds what is due or
// unrelayed, or claimed long ago and never attempted), a
// test can drive the schedule with a controlled clock, and every attempt is on record.
import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { isInternalAddress } from '../alerts/addresses.ts';
import { alertPayload } from '../alerts/payload.ts';
import { afterAttempt, retryAfterMs } from '../alerts/retry.ts';
import { webhookHeaders } from '../alerts/signing.ts';
import { failpoint } from '../lib/failpoints.ts';
import type { Logger } from '../lib/logger.ts';
import {
  claimDue, closeDelivery, deliveryWork, RELAY_PAGE, undecidedHolds, recordAttempt, relayEvents, scanClockEvents, WITHHELD_WHY, withheldReason,
} from '../store/alerts.ts';
import type { Db } from '../store/db.ts';
import type { QueueConnection } from './connection.ts';
import { jobId, QUEUE, type JobPayloads } from './queues.ts';
import { metrics } from '../lib/metrics.ts';

type Payload = JobPayloads[typeof QUEUE.alertDeliver];

export interface AlertWorkerOptions {
  readonly db: Db;
  /** Redis for the webhook attempts; without it the worker only relays (the pull feed) and finds clock events. */
  readonly conn?: QueueConnection;
  readonly log: Logger;
  readonly now?: () => Date;
  /** attempts in flight in this process, all endpoints together */
  readonly concurrency?: number;
  /** how often the tick runs (relay, due retries, clock events); 0: only when tick() is called */
  readonly pollMs?: number;
  readonly expiringDays?: number;
  /** how often (by the clock) the clock-driven events are looked for */
  readonly scanEveryMs?: number;
  readonly timeoutMs?: number;
  /** BullMQ job lock: a killed worker's attempt is taken over after about this long */
  readonly lockMs?: number;
  /** an enqueued attempt whose job vanished (Redis lost it, a crash before the enqueue) is enqueued again after this long */
  readonly requeueMs?: number;
}

export interface AlertWorker {
  readonly queue?: Queue<Payload>;
  readonly worker?: Worker<Payload>;
  /** Relays every unrelayed event, enqueues the attempts due, and looks for clock-driven events when their time has come. */
  tick(): Promise<void>;
  close(): Promise<void>;
}

export const ALERT_DEFAULTS = { concurrency: 8, pollMs: 500, expiringDays: 30, scanEveryMs: 3_600_000, timeoutMs: 15_000, requeueMs: 60_000 } as const;

/**
 * A slot of the endpoint's in-flight limit, shared by every worker: a lease in a Redis sorted set,
 * which lapses by itself after `ttlMs`, so a killed worker's slots come free without anyone's help.
 */
const SLOT_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[3]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0`;

async function acquireSlot(conn: QueueConnection, endpointId: string, max: number, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
  const key = `${conn.prefix}:alert-slots:${endpointId}`;
  const token = randomUUID();
  const ok = await conn.connection.eval(SLOT_SCRIPT, 1, key, Date.now(), max, ttlMs, token);
  return ok === 1 ? async () => void (await conn.connection.zrem(key, token)) : undefined;
}

/** Why the endpoint may not be called (its host resolves to an internal address), or undefined. */
async function internalTarget(url: string): Promise<string | undefined> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const addresses = await lookup(host, { all: true });
  const bad = addresses.find((a) => isInternalAddress(a.address));
  return bad && `E_ENDPOINT_INTERNAL: ${host} resolves to ${bad.address}, an internal address (an operator may allow it for this endpoint)`;
}

async function attempt(o: AlertWorkerOptions & { conn: QueueConnection }, clock: () => Date, job: Job<Payload>, token?: string): Promise<string> {
  const { db, log } = o;
  const { deliveryId, attempt: n } = job.data;
  const w = await deliveryWork(db, deliveryId);
  // An attempt already recorded (a worker died after recording it) or a delivery closed meanwhile.
  if (!w || w.state !== 'pending' || w.attempts !== n - 1) return 'stale';
  if (w.endpoint.status !== 'enabled') {
    await closeDelivery(db, w.id, w.attempts, { state: 'cancelled', why: 'endpoint disabled' }, clock());
    return 'cancelled';
  }
  // Withheld for good: a grant recorded later brings the data back to the profile, not this alert.
  const withheld = await withheldReason(db, w, clock());
  if (withheld) {
    await closeDelivery(db, w.id, w.attempts, { state: 'withheld', reason: withheld }, clock());
    log.info({ deliveryId, eventId: w.event.id, institutionId: w.endpoint.institutionId, reason: withheld }, `alert withheld: ${WITHHELD_WHY[withheld]}`);
    return 'withheld';
  }
  const timeoutMs = o.timeoutMs ?? ALERT_DEFAULTS.timeoutMs;
  const release = await acquireSlot(o.conn, w.endpoint.id, w.endpoint.maxInFlight, timeoutMs + 5_000);
  if (!release) {
    await job.moveToDelayed(Date.now() + 200, token);
    throw new DelayedError();
  }
  try {
    const body = JSON.stringify(alertPayload(w.event));
    const startedAt = clock();
    const t0 = performance.now();
    let status: number | undefined;
    let error: string | undefined;
    let retryAfter: number | undefined;
    try {
      const refused = w.endpoint.allowInternal ? undefined : await internalTarget(w.endpoint.url);
      if (refused) throw Object.assign(new Error(refused), { name: 'Refused' });
      const res = await fetch(w.endpoint.url, {
        method: 'POST', body, headers: webhookHeaders(w.endpoint.secrets, w.event.id, startedAt, body), redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      retryAfter = retryAfterMs(res.headers.get('retry-after'), startedAt);
      await res.body?.cancel();
    } catch (e) {
      error = `${(e as Error).name}: ${(e as Error).message}`;
    }
    failpoint('alerts.sent');
    const now = clock();
    const outcome = afterAttempt(n, status, now, retryAfter);
    await recordAttempt(db, w, { attempt: n, startedAt, durationMs: performance.now() - t0, httpStatus: status, error, outcome }, now);
    metrics.alertDeliveries.inc({ channel: 'webhook', outcome: outcome.kind });
    if (outcome.kind !== 'succeeded') log.warn({ deliveryId, eventId: w.event.id, endpointId: w.endpoint.id, attempt: n, status, error, outcome: outcome.kind }, 'alert delivery attempt failed');
    return outcome.kind;
  } finally {
    await release();
  }
}

export function startAlertWorker(o: AlertWorkerOptions): AlertWorker {
  const clock = o.now ?? (() => new Date());
  const conn = o.conn;
  const base = conn && { connection: conn.connection, prefix: conn.prefix };
  const queue = base && new Queue<Payload>(QUEUE.alertDeliver, base);
  // Jobs are removed when done: whether an attempt is still owed is the database's to say, so a job
  // that failed unexpectedly (the store was down) is added again by the next tick.
  const add = async (items: readonly { id: number; attempt: number }[]) => queue?.addBulk(items.map((d) => ({
    name: 'deliver', data: { deliveryId: d.id, attempt: d.attempt }, opts: { jobId: jobId.alertDeliver(d.id, d.attempt), removeOnComplete: true, removeOnFail: true },
  })));
  const worker = base && new Worker<Payload>(QUEUE.alertDeliver, (job, token) => attempt({ ...o, conn: conn! }, clock, job, token), {
    ...base, name: `${hostname()}:${process.pid}`, concurrency: o.concurrency ?? ALERT_DEFAULTS.concurrency,
    ...(o.lockMs ? { lockDuration: o.lockMs, stalledInterval: o.lockMs } : {}),
  });
  worker?.on('error', (err) => o.log.error({ err }, 'alert worker error'));
  const requeueMs = o.requeueMs ?? ALERT_DEFAULTS.requeueMs;
  let lastScan = -Infinity;
  let holdsSeen = new Date(0);
  let running: Promise<void> | undefined;
  const tickOnce = async () => {
    for (;;) {
      const r = await relayEvents(o.db, clock(), requeueMs);
      // kill -9 here: the relay committed its deliveries, none is enqueued; the next tick finds them due.
      failpoint('alerts.relayed');
      if (r.deliveries.length) await add(r.deliveries.map((id) => ({ id, attempt: 1 })));
      if (r.events > 0) o.log.info({ ...r, deliveries: r.deliveries.length }, 'alerts relayed');
      if (r.events < RELAY_PAGE) break;
    }
    // The mass-withdrawal guard held a batch: the operators hear of it here, and in `alerts stats`.
    for (const h of await undecidedHolds(o.db, holdsSeen)) {
      o.log.warn({ ...h, code: 'W_ALERTS_HELD' }, `alerts held: a full delivery of ${h.category} by ${h.delivered_by} withdraws ${h.withdrawn} of ${h.records_before} records; `
        + `its ${h.events} events wait for \`credit-etl alerts release|discard ${h.batch_id}\``);
      holdsSeen = new Date(h.held_at);
    }
    const due = queue ? await claimDue(o.db, clock(), requeueMs) : [];
    if (due.length) await add(due);
    const now = clock().getTime();
    if (now - lastScan >= (o.scanEveryMs ?? ALERT_DEFAULTS.scanEveryMs)) {
      const n = await scanClockEvents(o.db, clock(), o.expiringDays ?? ALERT_DEFAULTS.expiringDays);
      lastScan = now;
      if (n) o.log.info({ events: n }, 'clock-driven alert events');
    }
  };
  // One tick at a time: a slow one (a large relay) is not stacked up behind by the timer.
  const tick = () => (running ??= tickOnce().finally(() => {
    running = undefined;
  }));
  const timer = o.pollMs === 0 ? undefined : setInterval(() => {
    tick().catch((err) => o.log.error({ err }, 'alert tick failed'));
  }, o.pollMs ?? ALERT_DEFAULTS.pollMs);
  return {
    queue, worker, tick,
    close: async () => {
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
      await worker?.close();
      await queue?.close();
    },
  };
}
