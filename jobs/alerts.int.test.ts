// Alert delivery end to end on the real store, Redis and a real local receiver: signatures checked by
// the specification's own verifier (standardwebhooks), the retry schedule and 410 under a controlled
// clock, authorisation re-checked at delivery, backfill and held events reaching no one.
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { RETRY_SCHEDULE_MS } from '../alerts/retry.ts';
import { rotateSecret, addEndpoint, alertStats, decideHold, scanClockEvents } from '../store/alerts.ts';
import { grantAuthorisation, revokeAuthorisation } from '../store/authorisations.ts';
import { registerInstitution } from '../store/institutions.ts';
import { upsertWatches } from '../store/watches.ts';
import { bill, deliver, licence, penalty, USCCS } from '../test/helpers/alerts.ts';
import { deletePrefix, eventually, REDIS_URL, testPrefix } from '../test/helpers/collect.ts';
import { silentLog } from '../test/helpers/ingest.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { startReceiver, type Receiver } from '../test/helpers/webhook-receiver.ts';
import { startAlertWorker, type AlertWorker } from './alerts.ts';
import { connectQueues } from './connection.ts';
import { loadCollectionConfig } from '../config/config.ts';

let t: TestDb;
let rx: Receiver;
const prefixes: string[] = [];
const open: { w: AlertWorker; close: () => void }[] = [];

beforeAll(async () => {
  t = await createTestDb('alerts');
  rx = await startReceiver();
  // Every category's first load is a backfill; the tests below deliver after it.
  await deliver(t.db, 'penalty', [penalty(9000, USCCS[19])]);
  await deliver(t.db, 'licensing', [licence(9000, USCCS[19])]);
  await deliver(t.db, 'water', [bill(USCCS[19], 'Z9', '2026-01')]);
});
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.w.close();
    o.close();
  }
  rx.respond = () => 200;
  rx.delayMs = 0;
});
afterAll(async () => {
  await rx?.close();
  for (const p of prefixes) await deletePrefix(REDIS_URL, p);
  await t?.drop();
});

const institutionId = async (name: string) => (await registerInstitution(t.db, name)).institution.id;

/** A clock the test moves by hand. */
function manualClock(start = new Date()) {
  let now = start.getTime();
  return { now: () => new Date(now), set: (d: Date) => void (now = d.getTime()), advance: (ms: number) => void (now += ms) };
}

function worker(now?: () => Date) {
  const cfg = loadCollectionConfig({ REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: testPrefix() });
  prefixes.push(cfg.queuePrefix);
  const conn = connectQueues(cfg);
  const w = startAlertWorker({ db: t.db, conn, log: silentLog, now, pollMs: 0, concurrency: 4 });
  open.push({ w, close: () => conn.connection.disconnect() });
  return w;
}

const deliveriesOf = (eventIds: string[]) => t.db.knex('webhook_deliveries').whereIn('event_id', eventIds).orderBy('id');
const eventsOfBatch = async (batchId: string) => (await t.db.knex('credit_events').where({ batch_id: batchId })).map((e: any) => e.id as string);

it('a watched enterprise\'s new penalty reaches its institution\'s endpoint, signed: the reference verifier accepts it, and rejects a tampered body or a stale timestamp', async () => {
  const inst = await institutionId('临沂银行测试一');
  await upsertWatches(t.db, inst, [{ subjectUscc: USCCS[0], eventTypes: ['penalty.created'], loanRef: 'L-001' }], 'test');
  const ep = await addEndpoint(t.db, { institutionId: inst, url: rx.url, allowInternal: true });
  const rotated = (await rotateSecret(t.db, ep.id))!;
  const w = worker();
  const b = await deliver(t.db, 'penalty', [penalty(1, USCCS[0]), penalty(2, USCCS[1])]); // USCCS[1] is watched by no one
  const [eventId] = (await t.db.knex('credit_events').where({ batch_id: b.batchId, subject_uscc: USCCS[0] })).map((e: any) => e.id);
  await w.tick();
  const got = await eventually(async () => rx.requests.find((r) => r.id === eventId));
  expect(rx.requests.filter((r) => r.id !== eventId && JSON.parse(r.body).data.subjectUscc === USCCS[1])).toEqual([]);
  const body = JSON.parse(got.body);
  expect(body).toMatchObject({ type: 'penalty.created', data: { eventId, category: 'penalty', subjectUscc: USCCS[0], severity: 'high', provenance: { batchId: b.batchId, sourceLine: 2 } } });
  expect(Object.keys(body.data)).not.toContain('fields');
  // Both secrets sign (rotation); the verifier holding either accepts.
  expect(got.signature.split(' ')).toHaveLength(2);
  for (const secret of rotated.secrets) expect(new Webhook(secret).verify(got.body, got.headers as Record<string, string>)).toEqual(body);
  const wh = new Webhook(rotated.secrets[1]);
  expect(() => wh.verify(got.body.replace(USCCS[0], USCCS[2]), got.headers as Record<string, string>)).toThrow(/signature/i);
  const stale = { ...got.headers, 'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 301) } as unknown as Record<string, string>;
  expect(() => wh.verify(got.body, stale)).toThrow(/timestamp/i);
  const [d] = await eventually(async () => {
    const rows = await deliveriesOf([eventId]);
    return rows[0]?.state === 'succeeded' ? rows : undefined;
  });
  expect(d.attempts).toBe(1);
  expect(await t.db.knex('webhook_attempts').where({ delivery_id: d.id })).toMatchObject([{ attempt: 1, http_status: 200 }]);
});

it('with a controlled clock, failed attempts are retried on the schedule (5 s, 5 min, 30 min …), each attempt recorded', async () => {
  const clock = manualClock();
  const inst = await institutionId('临沂银行测试二');
  await upsertWatches(t.db, inst, [{ subjectUscc: USCCS[3], eventTypes: [] }], 'test');
  await addEndpoint(t.db, { institutionId: inst, url: rx.url, allowInternal: true });
  rx.respond = ({ n }) => (n <= 3 ? 503 : 200);
  const w = worker(clock.now);
  const b = await deliver(t.db, 'penalty', [penalty(3, USCCS[3])]);
  const ids = await eventsOfBatch(b.batchId);
  await w.tick();
  for (let attempt = 1; attempt <= 4; attempt++) {
    const d = await eventually(async () => {
      const [x] = await deliveriesOf(ids);
      return x.attempts === attempt ? x : undefined;
    });
    if (attempt === 4) {
      expect(d.state).toBe('succeeded');
      break;
    }
    expect(d.state).toBe('pending');
    // Not due yet: a tick a second early enqueues nothing.
    clock.set(new Date(d.next_attempt_at.getTime() - 1000));
    await w.tick();
    expect((await deliveriesOf(ids))[0].attempts).toBe(attempt);
    clock.set(d.next_attempt_at);
    await w.tick();
  }
  const attempts = await t.db.knex('webhook_attempts').where({ delivery_id: (await deliveriesOf(ids))[0].id }).orderBy('attempt');
  expect(attempts.map((a: any) => a.http_status)).toEqual([503, 503, 503, 200]);
  const gaps = attempts.slice(1).map((a: any, i: number) => a.started_at.getTime() - attempts[i].started_at.getTime());
  expect(gaps).toEqual(RETRY_SCHEDULE_MS.slice(0, 3));
  expect(rx.requests.filter((r) => r.id === ids[0]).map((r) => r.id)).toHaveLength(4);
});

it('410 Gone disables the endpoint and cancels what it still had pending', async () => {
  const clock = manualClock();
  const inst = await institutionId('临沂银行测试三');
  await upsertWatches(t.db, inst, [{ subjectUscc: USCCS[4], eventTypes: [] }], 'test');
  const ep = await addEndpoint(t.db, { institutionId: inst, url: rx.url, maxInFlight: 1, allowInternal: true });
  rx.respond = () => 410;
  const w = worker(clock.now);
  const b = await deliver(t.db, 'penalty', [penalty(4, USCCS[4]), penalty(5, USCCS[4])]);
  const ids = await eventsOfBatch(b.batchId);
  await w.tick();
  await eventually(async () => ((await t.db.knex('webhook_endpoints').where({ id: ep.id }).first()).status === 'disabled' ? true : undefined));
  const ds = await eventually(async () => {
    const rows = await deliveriesOf(ids);
    return rows.every((d: any) => d.state !== 'pending') ? rows : undefined;
  });
  expect(ds.map((d: any) => d.state).sort()).toEqual(['cancelled', 'failed']);
  expect(rx.requests.filter((r) => ids.includes(r.id))).toHaveLength(1);
  const later = await deliver(t.db, 'penalty', [penalty(6, USCCS[4])]);
  await w.tick();
  expect(await deliveriesOf(await eventsOfBatch(later.batchId))).toEqual([]);
});

it('an endpoint resolving to an internal address is not called unless an operator allowed it (request forgery)', async () => {
  const clock = manualClock();
  const inst = await institutionId('临沂银行测试九');
  await upsertWatches(t.db, inst, [{ subjectUscc: USCCS[18], eventTypes: [] }], 'test');
  await addEndpoint(t.db, { institutionId: inst, url: rx.url.replace('127.0.0.1', 'localhost') });
  const w = worker(clock.now);
  const b = await deliver(t.db, 'penalty', [penalty(900, USCCS[18])]);
  const ids = await eventsOfBatch(b.batchId);
  await w.tick();
  const [d] = await eventually(async () => {
    const rows = await deliveriesOf(ids);
    return rows[0]?.attempts === 1 ? rows : undefined;
  });
  expect(d).toMatchObject({ state: 'pending', last_error: expect.stringMatching(/E_ENDPOINT_INTERNAL: localhost resolves to/) });
  expect(rx.requests.filter((r) => ids.includes(r.id))).toEqual([]);
});

it('an endpoint never has more attempts in flight than its limit', async () => {
  const inst = await institutionId('临沂银行测试七');
  await upsertWatches(t.db, inst, USCCS.slice(11, 17).map((subjectUscc) => ({ subjectUscc, eventTypes: [] })), 'test');
  await addEndpoint(t.db, { institutionId: inst, url: rx.url, maxInFlight: 2, allowInternal: true });
  const before = rx.requests.length;
  (rx as { maxOpen: number }).maxOpen = 0;
  rx.delayMs = 150;
  const w = worker();
  const b = await deliver(t.db, 'penalty', USCCS.slice(11, 17).map((u, i) => penalty(300 + i, u)));
  const ids = await eventsOfBatch(b.batchId);
  await w.tick();
  await eventually(async () => ((await deliveriesOf(ids)).every((d: any) => d.state === 'succeeded') ? true : undefined));
  expect(rx.requests.length - before).toBe(6);
  expect(rx.maxOpen).toBe(2);
});

it('licence.expiring fires once as the clock reaches the window; publicity.ended once after 公示截止期', async () => {
  const clock = manualClock(new Date('2027-01-01T08:00:00Z'));
  await deliver(t.db, 'licensing', [licence(50, USCCS[5], { valid_to: '2027-01-20' }), licence(51, USCCS[6], { valid_to: '2099-12-31' })]);
  const p = await deliver(t.db, 'penalty', [penalty(50, USCCS[5], { publicity_end: '2027-01-03' })]);
  const count = async (type: string) => Number((await t.db.knex('credit_events').where({ type }).whereIn('subject_uscc', [USCCS[5], USCCS[6]]).count('* as n'))[0].n);
  await scanClockEvents(t.db, clock.now(), 10);
  expect([await count('licence.expiring'), await count('publicity.ended')]).toEqual([0, 0]);
  clock.set(new Date('2027-01-10T08:00:00Z'));
  await scanClockEvents(t.db, clock.now(), 10);
  await scanClockEvents(t.db, clock.now(), 10);
  clock.advance(86_400_000);
  await scanClockEvents(t.db, clock.now(), 10);
  expect([await count('licence.expiring'), await count('publicity.ended')]).toEqual([1, 1]);
  const e = await t.db.knex('credit_events').where({ type: 'publicity.ended', subject_uscc: USCCS[5] }).first();
  expect(e).toMatchObject({ occurred_on: '2027-01-03', backfill: false, record_id: (await t.db.knex('credit_records').where({ batch_id: p.batchId }).first()).id });
});

it('water arrears reach an institution only under the enterprise\'s authorisation: withheld without one, and withheld at delivery once it is revoked', async () => {
  const clock = manualClock();
  const [granted, without] = [await institutionId('临沂银行测试四'), await institutionId('临沂银行测试五')];
  for (const inst of [granted, without]) {
    await upsertWatches(t.db, inst, [{ subjectUscc: USCCS[7], eventTypes: ['arrears.started'] }], 'test');
    await addEndpoint(t.db, { institutionId: inst, url: rx.url, allowInternal: true });
  }
  const grant = await grantAuthorisation(t.db, {
    enterpriseUscc: USCCS[7], categories: ['water'], institution: { id: granted, name: '临沂银行测试四' }, grantedAt: new Date(Date.now() - 86_400_000).toISOString(),
    expiresAt: new Date(Date.now() + 365 * 86_400_000).toISOString(), evidenceKind: '书面', recordedBy: 'test',
  });
  const w = worker(clock.now);
  const b = await deliver(t.db, 'water', [bill(USCCS[7], 'W7', '2026-10', 30)]);
  const ids = await eventsOfBatch(b.batchId);
  expect(ids).toHaveLength(1);
  // Revoked after the relay put it on its way, before the attempt: the worker asks again.
  await w.worker!.pause();
  await w.tick();
  const notes = await t.db.knex('alert_notifications').where({ event_id: ids[0] });
  expect(notes.map((n: any) => [n.institution_id, n.status]).sort()).toEqual([[granted, 'notified'], [without, 'withheld']].sort());
  await revokeAuthorisation(t.db, grant.id, clock.now().toISOString());
  w.worker!.resume();
  const [d] = await eventually(async () => {
    const rows = await deliveriesOf(ids);
    return rows.length === 1 && rows[0].state !== 'pending' ? rows : undefined;
  });
  expect(d).toMatchObject({ state: 'withheld', withheld_reason: 'unauthorised' });
  expect(rx.requests.filter((r) => r.id === ids[0])).toEqual([]);
  const stats = await alertStats(t.db, clock.now());
  expect(stats.withheld.notifications).toBeGreaterThanOrEqual(1);
  expect(stats.withheld.deliveries).toBeGreaterThanOrEqual(1);
});

it('revoking the platform\'s authorisation withholds a water-arrears event before the attempt and at the relay, though the bank\'s own grant is in force; a new grant does not send it', async () => {
  const uscc = USCCS[2];
  const name = '临沂银行测试十';
  const inst = await institutionId(name);
  await upsertWatches(t.db, inst, [{ subjectUscc: uscc, eventTypes: ['arrears.started'] }], 'test');
  await addEndpoint(t.db, { institutionId: inst, url: rx.url, allowInternal: true });
  const grant = (institution: { id: string; name: string } | null, grantedAt: string) => grantAuthorisation(t.db, {
    enterpriseUscc: uscc, categories: ['water'], institution, grantedAt, expiresAt: new Date(Date.now() + 365 * 86_400_000).toISOString(), evidenceKind: '书面', recordedBy: 'test',
  });
  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  await grant({ id: inst, name }, yesterday);
  const platform = await grant(null, yesterday); // the bills below are collected under it
  const w = worker();
  const first = await eventsOfBatch((await deliver(t.db, 'water', [bill(uscc, 'R1', '2026-10', 30)])).batchId);
  expect(first).toHaveLength(1);
  await w.worker!.pause();
  await w.tick();
  expect((await t.db.knex('alert_notifications').where({ event_id: first[0] })).map((n: any) => n.status)).toEqual(['notified']);
  await revokeAuthorisation(t.db, platform.id, new Date().toISOString());
  w.worker!.resume();
  const [d] = await eventually(async () => {
    const rows = await deliveriesOf(first);
    return rows.length === 1 && rows[0].state !== 'pending' ? rows : undefined;
  });
  expect(d).toMatchObject({ state: 'withheld', withheld_reason: 'lapsed', attempts: 0, last_error: expect.stringMatching(/revocation rule/) });

  // Loaded after the revocation: withheld at the relay, no delivery at all.
  const second = await eventsOfBatch((await deliver(t.db, 'water', [bill(uscc, 'R2', '2026-10', 30)])).batchId);
  await w.tick();
  expect((await t.db.knex('alert_notifications').where({ event_id: second[0] })).map((n: any) => [n.status, n.withheld_reason])).toEqual([['withheld', 'lapsed']]);
  expect(await deliveriesOf(second)).toEqual([]);
  const stats = await alertStats(t.db, new Date());
  expect(stats.withheld.byReason.lapsed).toEqual({ notifications: 1, deliveries: 1 });
  expect(stats.withheld.notifications).toBe(stats.withheld.byReason.lapsed.notifications + stats.withheld.byReason.unauthorised.notifications);

  // A new grant brings the data back, not the withheld alerts; what is collected under it is delivered.
  await grant(null, new Date(Date.now() - 1000).toISOString());
  const third = await eventsOfBatch((await deliver(t.db, 'water', [bill(uscc, 'R3', '2026-10', 30)])).batchId);
  await w.tick();
  await eventually(async () => (rx.processed.includes(third[0]) ? true : undefined));
  expect((await deliveriesOf([...first, ...second])).map((x: any) => x.state)).toEqual(['withheld']);
  expect(rx.requests.filter((r) => [...first, ...second].includes(r.id))).toEqual([]);
});

it('a backfill load notifies no one; a held batch reaches no one until an operator releases it', async () => {
  const inst = await institutionId('临沂银行测试六');
  await upsertWatches(t.db, inst, [{ subjectUscc: USCCS[8], eventTypes: [] }, { subjectUscc: USCCS[9], eventTypes: [] }], 'test');
  await addEndpoint(t.db, { institutionId: inst, url: rx.url, allowInternal: true });
  const w = worker();
  const first = await deliver(t.db, 'enforcement', [{ ...enforcementRow(1, USCCS[8]) }]);
  const backfill = await eventsOfBatch(first.batchId);
  expect(backfill).toHaveLength(1);
  await w.tick();
  expect(await t.db.knex('alert_notifications').whereIn('event_id', backfill)).toEqual([]);
  expect((await t.db.knex('credit_events').whereIn('id', backfill).first()).relayed_at).not.toBeNull();

  const market = { source_unit: '临沂市市场监督管理局', source_unit_uscc: '11371300001959504N' };
  const rows = [penalty(700, USCCS[8], market), penalty(701, USCCS[9], market), penalty(702, USCCS[10], market)];
  await deliver(t.db, 'penalty', rows, { provider: 'market' });
  const truncated = await deliver(t.db, 'penalty', rows.slice(2), { provider: 'market', fullDelivery: true });
  const held = await eventsOfBatch(truncated.batchId);
  expect(held).toHaveLength(2);
  await w.tick();
  expect(await t.db.knex('alert_notifications').whereIn('event_id', held)).toEqual([]);
  expect((await alertStats(t.db, new Date())).holds.map((h) => h.batch_id)).toContain(truncated.batchId);
  expect(await decideHold(t.db, truncated.batchId, 'released', 'operator', new Date())).toBe(true);
  await w.tick();
  await eventually(async () => (held.every((id) => rx.processed.includes(id)) ? true : undefined));
  expect(JSON.parse(rx.requests.find((r) => r.id === held[0])!.body).type).toBe('record.withdrawn');
});

it('without Redis the worker still relays: the pull feed gets the alert, the webhook waits for a worker with Redis', async () => {
  const inst = await institutionId('临沂银行测试八');
  await upsertWatches(t.db, inst, [{ subjectUscc: USCCS[17], eventTypes: [] }], 'test');
  await addEndpoint(t.db, { institutionId: inst, url: rx.url, allowInternal: true });
  const relayOnly = startAlertWorker({ db: t.db, log: silentLog, pollMs: 0 });
  const b = await deliver(t.db, 'penalty', [penalty(800, USCCS[17])]);
  const ids = await eventsOfBatch(b.batchId);
  await relayOnly.tick();
  await relayOnly.close();
  expect((await t.db.knex('alert_notifications').whereIn('event_id', ids)).map((n: any) => [n.institution_id, n.status])).toEqual([[inst, 'notified']]);
  expect((await deliveriesOf(ids)).map((d: any) => [d.state, d.attempts])).toEqual([['pending', 0]]);
  expect(rx.requests.filter((r) => ids.includes(r.id))).toEqual([]);
  const w = worker(() => new Date(Date.now() + 3_600_000)); // past the claim lease the relay set
  await w.tick();
  await eventually(async () => (rx.processed.includes(ids[0]) ? true : undefined));
});

function enforcementRow(i: number, uscc: string) {
  return {
    subject_name: `临沂市示例企业${i}有限公司`, subject_uscc: uscc, decision_doc_name: '查封、扣押决定书', decision_no: `临环封扣〔2026〕${i}号`,
    reason: '违法排放污染物', legal_basis: '《中华人民共和国环境保护法》第二十五条', method: '查封场所、设施或者财物', executed_at: '2026-11-01',
    authority_name: '临沂市生态环境局', authority_uscc: '11371300000109268N', source_unit: '临沂市生态环境局', source_unit_uscc: '11371300000109268N',
  };
}
