// From the outbox to the institutions: the relay fans events out to the watches that match them
// (alert_notifications, the pull feed) and to the watching institutions' webhook endpoints
// (webhook_deliveries); attempts and their outcomes; the clock-driven events; the operators' figures.
import { randomUUID } from 'node:crypto';
import { EVENT_TYPES, expiringWindow, isGatedEventCategory, LONG_TERM } from '../alerts/classify.ts';
import type { AlertEvent } from '../alerts/payload.ts';
import { newSecret } from '../alerts/signing.ts';
import type { AttemptOutcome } from '../alerts/retry.ts';
import type { CategoryId } from '../schemas/registry.ts';
import { authorisationsInForce, collectedUnderLapsed, lapsedByEnterprise } from './authorisations.ts';
import type { Db } from './db.ts';
import { fieldSql } from './payload.ts';
import { utcIso } from './sql.ts';

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Why an alert may not reach an institution: 'lapsed', the revocation rule (its record was collected
 * under a platform authorisation none of which is in force: served to no one); 'unauthorised', a
 * non-public category without the enterprise's grant to the institution in force.
 */
export type WithheldReason = 'lapsed' | 'unauthorised';
export const WITHHELD_REASONS: readonly WithheldReason[] = ['lapsed', 'unauthorised'];

/** What a withheld delivery records as its last error. */
export const WITHHELD_WHY: Record<WithheldReason, string> = {
  lapsed: 'collected under a platform authorisation no longer in force (revocation rule)',
  unauthorised: 'no authorisation in force for this institution',
};

/**
 * When the record an event names (credit_events e) was loaded, as the revocation rule asks it of a
 * record: its current version, as the profile and the purge judge a record with its history (a later
 * version is never loaded earlier than the event's own); a withdrawn record's last version; a record
 * since purged (store/lapsed-purge.ts purges only what the rule withholds) the event's detection,
 * which is never before the load.
 */
const RECORD_LOADED_AT = `to_char(COALESCE(
    (SELECT r.loaded_at FROM credit_records r WHERE r.id = e.record_id),
    (SELECT max(v.loaded_at) FROM credit_record_versions v WHERE v.record_id = e.record_id),
    e.detected_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export interface RelayResult {
  readonly events: number;
  readonly notified: number;
  readonly withheld: number;
  /** new deliveries to enqueue: id and first attempt */
  readonly deliveries: readonly number[];
}

/**
 * Relays up to `limit` unrelayed events, oldest first, in one transaction: one relay at a time (an
 * advisory lock), so the feed's cursor (alert_notifications.seq) grows in commit order. A backfill
 * event is marked relayed and reaches no one; a held one waits for an operator. An event withheld
 * here (withheldReasons) is withheld for good: a later grant does not send it.
 * New deliveries are claimed for `leaseMs` (see claimDue): the caller enqueues their first attempt.
 */
/** Events one relay transaction takes at most. */
export const RELAY_PAGE = 5000;

export async function relayEvents(db: Db, now: Date, leaseMs: number, limit = RELAY_PAGE): Promise<RelayResult> {
  return db.knex.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', ['credit-etl alerts relay']);
    const events: { seq: number; id: string; type: string; category: CategoryId; subject_uscc: string | null; backfill: boolean }[] = await trx('credit_events')
      .select('seq', 'id', 'type', 'category', 'subject_uscc', 'backfill').whereNull('relayed_at').where({ held: false }).orderBy('seq').limit(limit);
    if (events.length === 0) return { events: 0, notified: 0, withheld: 0, deliveries: [] };
    const live = events.filter((e) => !e.backfill && e.subject_uscc !== null);
    const today = day(now);
    const matches: { event_id: string; institution: string; watch_ids: string[]; loaded_at: string }[] = live.length === 0 ? [] : (await trx.raw(`
      SELECT e.id AS event_id, w.institution_id AS institution, array_agg(w.id ORDER BY w.id) AS watch_ids, ${RECORD_LOADED_AT} AS loaded_at
      FROM credit_events e JOIN watches w ON w.subject_uscc = e.subject_uscc
      WHERE e.id = ANY(?::uuid[]) AND w.status = 'active' AND (cardinality(w.event_types) = 0 OR e.type = ANY(w.event_types))
        AND (w.active_from IS NULL OR w.active_from <= ?::date) AND (w.active_until IS NULL OR w.active_until >= ?::date)
      GROUP BY e.seq, e.id, w.institution_id ORDER BY e.seq, w.institution_id`, [live.map((e) => e.id), today, today])).rows;
    const byId = new Map(events.map((e) => [e.id, e]));
    const why = await withheldReasons({ ...db, knex: trx }, matches.map((m) => ({ institution: m.institution, event: { ...byId.get(m.event_id)!, loaded_at: m.loaded_at } })), now);
    const rows = matches.map((m, i) => ({
      event_id: m.event_id, institution_id: m.institution, watch_ids: m.watch_ids, status: why[i] ? 'withheld' : 'notified', withheld_reason: why[i], created_at: now.toISOString(),
    }));
    let deliveries: number[] = [];
    if (rows.length > 0) {
      for (let i = 0; i < rows.length; i += 2000) await trx('alert_notifications').insert(rows.slice(i, i + 2000)).onConflict(['event_id', 'institution_id']).ignore();
      const notified = rows.filter((r) => r.status === 'notified');
      if (notified.length > 0) {
        const { rows: d } = await trx.raw(`
          INSERT INTO webhook_deliveries (event_id, endpoint_id, state, next_attempt_at, created_at)
          SELECT n.event_id, p.id, 'pending', ?::timestamptz + ? * interval '1 millisecond', ?::timestamptz
          FROM jsonb_to_recordset(?::jsonb) AS n(event_id uuid, institution_id uuid, type text)
          JOIN webhook_endpoints p ON p.institution_id = n.institution_id AND p.status = 'enabled' AND (cardinality(p.event_types) = 0 OR n.type = ANY(p.event_types))
          ON CONFLICT (event_id, endpoint_id) DO NOTHING RETURNING id`,
        [now.toISOString(), leaseMs, now.toISOString(), JSON.stringify(notified.map((r) => ({ event_id: r.event_id, institution_id: r.institution_id, type: byId.get(r.event_id)!.type })))]);
        deliveries = d.map((r: { id: number }) => Number(r.id));
      }
    }
    await trx('credit_events').whereIn('seq', events.map((e) => e.seq)).update({ relayed_at: now.toISOString() });
    return { events: events.length, notified: rows.filter((r) => r.status === 'notified').length, withheld: rows.filter((r) => r.status === 'withheld').length, deliveries };
  });
}

/** An event to an institution, with when its record was loaded (RECORD_LOADED_AT). */
interface Addressed {
  readonly institution: string;
  readonly event: { readonly category: CategoryId; readonly subject_uscc: string | null; readonly loaded_at: string };
}

/**
 * For each (institution id, event): why it may not reach the institution now, or null. The revocation
 * rule first, as the profile applies it (it binds every reader, whatever their own grants); then a
 * non-public category needs the enterprise's grant to the institution in force.
 */
async function withheldReasons(db: Db, pairs: readonly Addressed[], now: Date): Promise<(WithheldReason | null)[]> {
  const at = now.toISOString();
  const usccs = [...new Set(pairs.flatMap((p) => (p.event.subject_uscc === null ? [] : [p.event.subject_uscc])))];
  const lapsed = await lapsedByEnterprise(db, usccs, at);
  const gatedBy = new Map<string, Set<string>>();
  for (const p of pairs) if (isGatedEventCategory(p.event.category)) gatedBy.set(p.institution, (gatedBy.get(p.institution) ?? new Set()).add(p.event.subject_uscc!));
  const grants = new Map<string, Set<string>>(); // institution -> uscc|category in force
  for (const [institution, ofInstitution] of gatedBy) {
    const set = new Set<string>();
    for (const g of await authorisationsInForce(db, { enterpriseUscc: [...ofInstitution], institutionId: institution, at })) {
      for (const c of g.categories) set.add(`${g.enterprise_uscc}|${c}`);
    }
    grants.set(institution, set);
  }
  return pairs.map((p) => {
    const { category, subject_uscc: uscc, loaded_at: loadedAt } = p.event;
    if (uscc !== null && collectedUnderLapsed(lapsed.get(uscc) ?? {}, { category, loadedAt })) return 'lapsed';
    if (isGatedEventCategory(category) && !grants.get(p.institution)?.has(`${uscc}|${category}`)) return 'unauthorised';
    return null;
  });
}

/** What one attempt needs: the delivery, its endpoint and its event. */
export interface DeliveryWork {
  readonly id: number;
  readonly state: string;
  readonly attempts: number;
  readonly endpoint: {
    readonly id: string; readonly url: string; readonly secrets: string[]; readonly status: string; readonly maxInFlight: number;
    readonly institutionId: string; readonly allowInternal: boolean;
  };
  readonly event: AlertEvent;
  /** when the event's record was loaded (for the revocation rule; not sent) */
  readonly recordLoadedAt: string;
}

export async function deliveryWork(db: Db, id: number): Promise<DeliveryWork | undefined> {
  const r = (await db.knex.raw(`SELECT d.id, d.state, d.attempts, p.id AS endpoint_id, p.url, p.secrets, p.status AS endpoint_status, p.max_in_flight, p.institution_id, p.allow_internal,
      e.id AS event_id, e.type, e.category, e.subject_uscc, e.severity, e.record_id, e.record_version, e.batch_id, e.source_unit, e.source_line,
      to_char(e.occurred_on, 'YYYY-MM-DD') AS occurred_on, to_char(e.detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS detected_at,
      ${RECORD_LOADED_AT} AS loaded_at
    FROM webhook_deliveries d JOIN webhook_endpoints p ON p.id = d.endpoint_id JOIN credit_events e ON e.id = d.event_id WHERE d.id = ?`, [id])).rows[0];
  if (!r) return undefined;
  return {
    id: Number(r.id), state: r.state, attempts: r.attempts,
    endpoint: {
      id: r.endpoint_id, url: r.url, secrets: r.secrets, status: r.endpoint_status, maxInFlight: r.max_in_flight, institutionId: r.institution_id, allowInternal: r.allow_internal,
    },
    event: {
      id: r.event_id, type: r.type, category: r.category, subjectUscc: r.subject_uscc, severity: r.severity, recordId: Number(r.record_id),
      recordVersion: r.record_version, batchId: r.batch_id, sourceUnit: r.source_unit, sourceLine: r.source_line, occurredOn: r.occurred_on, detectedAt: r.detected_at,
    },
    recordLoadedAt: r.loaded_at,
  };
}

/** Why the event may no longer reach the endpoint's institution now (re-checked before every attempt), or null. */
export async function withheldReason(db: Db, w: DeliveryWork, now: Date): Promise<WithheldReason | null> {
  const event = { category: w.event.category, subject_uscc: w.event.subjectUscc, loaded_at: w.recordLoadedAt };
  return (await withheldReasons(db, [{ institution: w.endpoint.institutionId, event }], now))[0];
}

/**
 * Closes a delivery without an attempt, for good: its endpoint was disabled (cancelled), or it may no
 * longer reach the institution (withheld, with the reason, and counted). Only a pending delivery at
 * this attempt count changes.
 */
export async function closeDelivery(db: Db, id: number, attempts: number, close: { state: 'cancelled'; why: string } | { state: 'withheld'; reason: WithheldReason }, now: Date): Promise<boolean> {
  const set = close.state === 'withheld' ? { state: 'withheld', withheld_reason: close.reason, last_error: WITHHELD_WHY[close.reason] } : { state: 'cancelled', last_error: close.why };
  return (await db.knex('webhook_deliveries').where({ id, state: 'pending', attempts }).update({ ...set, finished_at: now.toISOString(), next_attempt_at: null })) > 0;
}

export interface AttemptRecord {
  readonly attempt: number;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly httpStatus?: number;
  readonly error?: string;
  readonly outcome: AttemptOutcome;
}

/**
 * Records an attempt and its outcome in one transaction, once: a second recording of the same
 * attempt (a worker that died after the first) changes nothing and returns false. A 410 disables the
 * endpoint and cancels its other pending deliveries.
 */
export async function recordAttempt(db: Db, w: DeliveryWork, a: AttemptRecord, now: Date): Promise<boolean> {
  return db.knex.transaction(async (trx) => {
    const o = a.outcome;
    const state = o.kind === 'succeeded' ? 'succeeded' : o.kind === 'retry' ? 'pending' : 'failed';
    const n = await trx('webhook_deliveries').where({ id: w.id, state: 'pending', attempts: a.attempt - 1 }).update({
      state, attempts: a.attempt, next_attempt_at: o.kind === 'retry' ? o.nextAt.toISOString() : null,
      finished_at: state === 'pending' ? null : now.toISOString(),
      last_error: o.kind === 'succeeded' ? null : (a.error ?? `HTTP ${a.httpStatus}`).slice(0, 500),
    });
    if (n === 0) return false;
    await trx('webhook_attempts').insert({
      delivery_id: w.id, attempt: a.attempt, started_at: a.startedAt.toISOString(), duration_ms: Math.round(a.durationMs),
      http_status: a.httpStatus ?? null, error: a.error?.slice(0, 500) ?? null, next_attempt_at: o.kind === 'retry' ? o.nextAt.toISOString() : null,
    });
    if (o.kind === 'gone') {
      await trx('webhook_endpoints').where({ id: w.endpoint.id }).update({ status: 'disabled', disabled_reason: `410 Gone at ${now.toISOString()}` });
      await trx('webhook_deliveries').where({ endpoint_id: w.endpoint.id, state: 'pending' })
        .update({ state: 'cancelled', finished_at: now.toISOString(), last_error: 'endpoint disabled (410 Gone)', next_attempt_at: null });
    }
    return true;
  });
}

/**
 * Claims the pending deliveries whose next attempt is due: their due time moves `leaseMs` ahead, so
 * the next tick leaves them alone while their job runs; a job lost with Redis makes it due again.
 * Returns id and the attempt number each will be.
 */
export async function claimDue(db: Db, now: Date, leaseMs: number, limit = 1000): Promise<{ id: number; attempt: number }[]> {
  const { rows } = await db.knex.raw(`UPDATE webhook_deliveries d SET next_attempt_at = ?::timestamptz
    WHERE d.id IN (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ?::timestamptz ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED)
    RETURNING d.id, d.attempts`, [new Date(now.getTime() + leaseMs).toISOString(), now.toISOString(), limit]);
  return rows.map((r: { id: number; attempts: number }) => ({ id: Number(r.id), attempt: r.attempts + 1 }));
}

/**
 * The clock-driven events, each once: licence.expiring for a valid licence whose 有效期至 falls within
 * the next `expiringDays`; publicity.ended for a penalty whose 公示截止期 has passed since the store received it.
 */
export async function scanClockEvents(db: Db, now: Date, expiringDays: number): Promise<number> {
  const w = expiringWindow(day(now), expiringDays);
  const insert = (type: string, severity: string, dateExpr: string, where: string, bindings: string[]) => db.knex.raw(`
    INSERT INTO credit_events (id, type, subject_uscc, category, record_id, record_version, batch_id, source_unit, source_line, occurred_on,
      detected_at, severity, backfill, held, detail, once_key)
    SELECT gen_random_uuid(), ?, r.subject_uscc, r.category, r.id, r.version, r.batch_id, r.source_unit, r.source_line, (${dateExpr})::date,
      ?::timestamptz, ?, false, false, '{}', ? || ':' || r.id || ':' || (${dateExpr})
    FROM credit_records r WHERE ${where}
    ON CONFLICT (once_key) DO NOTHING`, [type, now.toISOString(), severity, type, ...bindings]);
  const validTo = fieldSql('licensing', 'valid_to', 'r.');
  const a = await insert('licence.expiring', 'medium', validTo,
    `r.category = 'licensing' AND ${fieldSql('licensing', 'status', 'r.')} = '有效' AND ${validTo} BETWEEN ? AND ? AND ${validTo} <> ?`, [w.from, w.to, LONG_TERM]);
  const publicityEnd = fieldSql('penalty', 'publicity_end', 'r.');
  const b = await insert('publicity.ended', 'low', publicityEnd,
    `r.category = 'penalty' AND ${publicityEnd} < ? AND ${publicityEnd} >= to_char(r.loaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`, [day(now)]);
  return (a.rowCount ?? 0) + (b.rowCount ?? 0);
}

// --- the pull feed ---------------------------------------------------------------------------

export interface FeedItem {
  readonly cursor: number;
  readonly eventId: string;
  readonly type: string;
  readonly category: string;
  readonly subjectUscc: string;
  readonly severity: string;
  readonly recordId: number;
  readonly recordVersion: number;
  readonly batchId: string | null;
  readonly sourceUnit: string | null;
  readonly sourceLine: number | null;
  readonly occurredOn: string | null;
  readonly detectedAt: string;
}

export interface Feed {
  readonly items: FeedItem[];
  /** the cursor to ask with next time (past the ones left out too) */
  readonly next: number;
  /** how many of this page were left out, and why */
  readonly withheld: number;
  readonly withheldBy: Record<WithheldReason, number>;
}

/**
 * The institution's alerts after `cursor`, oldest first, each re-checked now (withheldReasons): one
 * that may no longer reach the institution is left out and counted, and the cursor moves past it.
 */
export async function alertFeed(db: Db, institutionId: string, cursor: number, limit: number, now: Date): Promise<Feed> {
  const rows = (await db.knex.raw(`SELECT n.seq, e.id, e.type, e.category, e.subject_uscc, e.severity, e.record_id, e.record_version, e.batch_id, e.source_unit,
      e.source_line, to_char(e.occurred_on, 'YYYY-MM-DD') AS occurred_on, to_char(e.detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS detected_at,
      ${RECORD_LOADED_AT} AS loaded_at
    FROM alert_notifications n JOIN credit_events e ON e.id = n.event_id
    WHERE n.institution_id = ? AND n.status = 'notified' AND n.seq > ? ORDER BY n.seq LIMIT ?`, [institutionId, cursor, limit])).rows;
  const why = await withheldReasons(db, rows.map((r: any) => ({ institution: institutionId, event: r })), now);
  const items: FeedItem[] = [];
  const withheldBy = Object.fromEntries(WITHHELD_REASONS.map((k) => [k, 0])) as Record<WithheldReason, number>;
  rows.forEach((r: any, i: number) => {
    const reason = why[i];
    if (reason) {
      withheldBy[reason]++;
      return;
    }
    items.push({
      cursor: Number(r.seq), eventId: r.id, type: r.type, category: r.category, subjectUscc: r.subject_uscc, severity: r.severity, recordId: Number(r.record_id),
      recordVersion: r.record_version, batchId: r.batch_id, sourceUnit: r.source_unit, sourceLine: r.source_line, occurredOn: r.occurred_on, detectedAt: r.detected_at,
    });
  });
  return { items, next: rows.length ? Number(rows[rows.length - 1].seq) : cursor, withheld: rows.length - items.length, withheldBy };
}

// --- endpoints ---------------------------------------------------------------------------------

export interface Endpoint {
  id: string; institution_id: string; url: string; event_types: string[]; max_in_flight: number; status: string; disabled_reason: string | null; secrets: string[];
  allow_internal: boolean;
}

export async function addEndpoint(db: Db, e: { institutionId: string; url: string; eventTypes?: readonly string[]; maxInFlight?: number; allowInternal?: boolean }): Promise<Endpoint> {
  const id = randomUUID();
  await db.knex('webhook_endpoints').insert({
    id, institution_id: e.institutionId, url: e.url, secrets: [newSecret()], event_types: [...(e.eventTypes ?? [])], max_in_flight: e.maxInFlight ?? 4,
    allow_internal: e.allowInternal ?? false,
  });
  return (await db.knex('webhook_endpoints').where({ id }).first()) as Endpoint;
}

/** Adds a new secret in front (it signs alongside the old ones); with `retire`, drops all but the newest. */
export async function rotateSecret(db: Db, id: string, retire = false): Promise<Endpoint | undefined> {
  const e = (await db.knex('webhook_endpoints').where({ id }).first()) as Endpoint | undefined;
  if (!e) return undefined;
  const secrets = retire ? e.secrets.slice(0, 1) : [newSecret(), ...e.secrets].slice(0, 3);
  await db.knex('webhook_endpoints').where({ id }).update({ secrets });
  return { ...e, secrets };
}

export async function setEndpointStatus(db: Db, id: string, status: 'enabled' | 'disabled'): Promise<boolean> {
  return (await db.knex('webhook_endpoints').where({ id }).update({ status, disabled_reason: status === 'enabled' ? null : 'disabled by an operator' })) > 0;
}

export const listEndpoints = (db: Db, institutionId?: string) =>
  (institutionId ? db.knex('webhook_endpoints').where({ institution_id: institutionId }) : db.knex('webhook_endpoints')).orderBy('created_at') as Promise<Endpoint[]>;

// --- holds -------------------------------------------------------------------------------------

/** Holds still waiting for an operator, held since `since` (the worker warns of each once). */
export async function undecidedHolds(db: Db, since: Date): Promise<AlertStats['holds']> {
  return db.knex('alert_holds').select('batch_id', 'category', 'delivered_by', 'withdrawn', 'records_before', 'events', db.knex.raw(utcIso('held_at')))
    .whereNull('decided_at').where('held_at', '>', since.toISOString()).orderBy('held_at');
}

/** An operator's decision on a held batch: release its events to the relay, or discard them for good. */
export async function decideHold(db: Db, batchId: string, decision: 'released' | 'discarded', by: string, now: Date): Promise<boolean> {
  return db.knex.transaction(async (trx) => {
    const n = await trx('alert_holds').where({ batch_id: batchId }).whereNull('decided_at').update({ decided_at: now.toISOString(), decision, decided_by: by });
    if (n === 0) return false;
    await trx('credit_events').where({ batch_id: batchId, held: true }).update(decision === 'released' ? { held: false } : { held: false, relayed_at: now.toISOString() });
    return true;
  });
}

// --- operators' figures ------------------------------------------------------------------------

export interface AlertStats {
  readonly backlog: number;
  readonly held: number;
  readonly holds: { batch_id: string; category: string; delivered_by: string; withdrawn: number; records_before: number; events: number; held_at: string }[];
  /** withheld at the relay (notifications) and before an attempt (deliveries), in all and by reason */
  readonly withheld: { notifications: number; deliveries: number; byReason: Record<WithheldReason, { notifications: number; deliveries: number }> };
  readonly endpoints: { endpoint_id: string; institution: string; url: string; status: string; states: Record<string, number> }[];
  /** commit (event detected) to a successful delivery, over the window */
  readonly latencyMs: { count: number; p50: number | null; p95: number | null };
  readonly eventsByType: Record<string, number>;
}

export async function alertStats(db: Db, now: Date, windowHours = 24): Promise<AlertStats> {
  const k = db.knex;
  const since = new Date(now.getTime() - windowHours * 3_600_000).toISOString();
  const [[backlog], [held], holds, wn, wd, states, [lat], types] = await Promise.all([
    k('credit_events').count('* as n').whereNull('relayed_at').where({ held: false }),
    k('credit_events').count('* as n').where({ held: true }),
    k('alert_holds').select('batch_id', 'category', 'delivered_by', 'withdrawn', 'records_before', 'events', k.raw(utcIso('held_at'))).whereNull('decided_at').orderBy('held_at'),
    k('alert_notifications').select('withheld_reason').count('* as n').where({ status: 'withheld' }).groupBy('withheld_reason'),
    k('webhook_deliveries').select('withheld_reason').count('* as n').where({ state: 'withheld' }).groupBy('withheld_reason'),
    k('webhook_endpoints as p').join('institutions as i', 'i.id', 'p.institution_id').leftJoin('webhook_deliveries as d', 'd.endpoint_id', 'p.id')
      .select('p.id as endpoint_id', 'i.name as institution', 'p.url', 'p.status', 'd.state').count('d.id as n').groupBy('p.id', 'i.name', 'p.url', 'p.status', 'd.state'),
    k.raw(`SELECT count(*)::int AS count,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95
      FROM (SELECT extract(epoch FROM d.finished_at - e.detected_at) * 1000 AS ms FROM webhook_deliveries d JOIN credit_events e ON e.id = d.event_id
        WHERE d.state = 'succeeded' AND d.finished_at >= ?) x`, [since]).then((r) => r.rows),
    k('credit_events').select('type').count('* as n').where('detected_at', '>=', since).groupBy('type'),
  ]);
  const endpoints = new Map<string, AlertStats['endpoints'][number]>();
  for (const s of states as any[]) {
    const e = endpoints.get(s.endpoint_id) ?? { endpoint_id: s.endpoint_id, institution: s.institution, url: s.url, status: s.status, states: {} as Record<string, number> };
    if (s.state) e.states[s.state] = Number(s.n);
    endpoints.set(s.endpoint_id, e);
  }
  const eventsByType = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0]));
  for (const t of types as any[]) eventsByType[t.type] = Number(t.n);
  const byReason = Object.fromEntries(WITHHELD_REASONS.map((r) => [r, {
    notifications: Number((wn as any[]).find((x) => x.withheld_reason === r)?.n ?? 0), deliveries: Number((wd as any[]).find((x) => x.withheld_reason === r)?.n ?? 0),
  }])) as AlertStats['withheld']['byReason'];
  const sum = (rows: any[]) => rows.reduce((a, x) => a + Number(x.n), 0);
  const num = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v)));
  return {
    backlog: Number((backlog as any).n), held: Number((held as any).n), holds: holds as any, withheld: { notifications: sum(wn as any[]), deliveries: sum(wd as any[]), byReason },
    endpoints: [...endpoints.values()], latencyMs: { count: lat.count, p50: num(lat.p50), p95: num(lat.p95) }, eventsByType,
  };
}

// --- the daily digest --------------------------------------------------------------------------

export interface Digest {
  readonly institution: string;
  readonly day: string;
  readonly total: number;
  readonly withheld: number;
  readonly byType: Record<string, number>;
  readonly bySeverity: Record<string, number>;
  readonly enterprises: { uscc: string; events: number; high: number }[];
}

/** One institution's alerts of one UTC day, summed up (what was notified; what was withheld only as a count). */
export async function dailyDigest(db: Db, institution: { readonly id: string; readonly name: string }, dayIso: string): Promise<Digest> {
  const rows = (await db.knex.raw(`SELECT n.status, e.type, e.severity, e.subject_uscc FROM alert_notifications n JOIN credit_events e ON e.id = n.event_id
    WHERE n.institution_id = ? AND n.created_at >= ?::date AND n.created_at < ?::date + 1`, [institution.id, dayIso, dayIso])).rows;
  const byType: Record<string, number> = {};
  const bySeverity: Record<string, number> = {};
  const ent = new Map<string, { uscc: string; events: number; high: number }>();
  let withheld = 0;
  for (const r of rows) {
    if (r.status === 'withheld') {
      withheld++;
      continue;
    }
    byType[r.type] = (byType[r.type] ?? 0) + 1;
    bySeverity[r.severity] = (bySeverity[r.severity] ?? 0) + 1;
    const e = ent.get(r.subject_uscc) ?? { uscc: r.subject_uscc, events: 0, high: 0 };
    e.events++;
    if (r.severity === 'high') e.high++;
    ent.set(r.subject_uscc, e);
  }
  return {
    institution: institution.name, day: dayIso, total: rows.length - withheld, withheld, byType, bySeverity,
    enterprises: [...ent.values()].sort((a, b) => b.high - a.high || b.events - a.events || a.uscc.localeCompare(b.uscc)),
  };
}
