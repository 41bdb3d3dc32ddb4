// The outbox written by the batch transaction: which deliveries raise which events, and which raise none.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bill, deliver, licence, penalty, USCCS } from '../test/helpers/alerts.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { readable } from '../test/helpers/records.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('events');
});
afterAll(async () => {
  await t?.drop();
});

const eventsOf = async (batchId: string) => (await t.db.knex('credit_events').where({ batch_id: batchId }).orderBy('record_id'))
  .map((e: any) => ({ type: e.type, uscc: e.subject_uscc, backfill: e.backfill, held: e.held, severity: e.severity }));

it('penalties: the first load is backfill; later a new one is penalty.created, a changed one record.updated; an identical re-upload and a refused batch raise none', async () => {
  const first = [penalty(1, USCCS[0]), penalty(2, USCCS[1]), penalty(3, USCCS[2])];
  const a = await deliver(t.db, 'penalty', first);
  expect(a.status).toBe('loaded');
  expect(await eventsOf(a.batchId)).toEqual(USCCS.slice(0, 3).map((uscc) => ({ type: 'penalty.created', uscc, backfill: true, held: false, severity: 'high' })));

  const b = await deliver(t.db, 'penalty', [...first.slice(0, 2), penalty(3, USCCS[2], { content: '罚款人民币20000元' }), penalty(4, USCCS[3])]);
  expect(b).toMatchObject({ status: 'loaded', inserted: 1, updated: 1, unchanged: 2 });
  expect(await eventsOf(b.batchId)).toEqual([
    { type: 'record.updated', uscc: USCCS[2], backfill: false, held: false, severity: 'medium' },
    { type: 'penalty.created', uscc: USCCS[3], backfill: false, held: false, severity: 'high' },
  ]);
  const ev = await t.db.knex('credit_events').where({ batch_id: b.batchId, type: 'penalty.created' }).first();
  const rec = await t.db.knex('credit_records').where({ id: ev.record_id }).first();
  expect(ev).toMatchObject({ category: 'penalty', record_version: 1, source_line: 5, source_unit: rec.source_unit, occurred_on: '2026-10-01' });

  const same = await deliver(t.db, 'penalty', [...first.slice(0, 2), penalty(3, USCCS[2], { content: '罚款人民币20000元' }), penalty(4, USCCS[3])]);
  expect(same).toMatchObject({ status: 'loaded', unchanged: 4 });
  expect(await eventsOf(same.batchId)).toEqual([]);

  const refused = await deliver(t.db, 'penalty', [penalty(5, USCCS[4]), penalty(6, USCCS[5], { decision_date: 'not a date' })], { maxRejects: 0 });
  expect(refused.status).toBe('refused');
  expect(await eventsOf(refused.batchId)).toEqual([]);
  expect(await t.db.knex('credit_events').where({ subject_uscc: USCCS[4] })).toHaveLength(0);
});

it('a penalty past its 公示截止期 raises no event', async () => {
  const r = await deliver(t.db, 'penalty', [penalty(20, USCCS[6], { decision_date: '2020-01-01', valid_until: '2021-01-01', publicity_end: '2023-01-01' }), penalty(21, USCCS[7])]);
  expect(r.inserted).toBe(2);
  expect((await eventsOf(r.batchId)).map((e) => e.uscc)).toEqual([USCCS[7]]);
});

it('licences: a new valid licence is no event; one turning 吊销 is licence.revoked; another change record.updated', async () => {
  await deliver(t.db, 'licensing', [licence(1, USCCS[0]), licence(2, USCCS[1])]);
  const r = await deliver(t.db, 'licensing', [licence(1, USCCS[0], { status: '吊销' }), licence(2, USCCS[1], { valid_to: '2030-01-01' }), licence(3, USCCS[2])]);
  expect(await eventsOf(r.batchId)).toEqual([
    { type: 'licence.revoked', uscc: USCCS[0], backfill: false, held: false, severity: 'high' },
    { type: 'record.updated', uscc: USCCS[1], backfill: false, held: false, severity: 'low' },
  ]);
});

it('water: 当前是否欠费 turning on is arrears.started, turning off arrears.cleared, from the indicator view, per account', async () => {
  const u = USCCS[8];
  const a = await deliver(t.db, 'water', [bill(u, 'A1', '2026-08'), bill(u, 'A2', '2026-08', 5)]);
  expect(await eventsOf(a.batchId)).toEqual([{ type: 'arrears.started', uscc: u, backfill: true, held: false, severity: 'high' }]);
  const b = await deliver(t.db, 'water', [bill(u, 'A1', '2026-09', 12), bill(u, 'A2', '2026-09')]);
  const evs = await t.db.knex('credit_events').where({ batch_id: b.batchId }).orderBy('type');
  expect(evs.map((e: any) => [e.type, e.detail.accountNo, e.backfill])).toEqual([['arrears.started', 'A1', false]]);
  // A2's 5 yuan of August is still unpaid (the view sums every month on record): paying it clears.
  const c = await deliver(t.db, 'water', [bill(u, 'A2', '2026-08')]);
  const cleared = await t.db.knex('credit_events').where({ batch_id: c.batchId });
  expect(cleared.map((e: any) => [e.type, e.detail.accountNo, e.severity])).toEqual([['arrears.cleared', 'A2', 'low']]);
  const rec = readable(await t.db.knex('credit_records').where({ id: cleared[0].record_id }).first());
  expect(rec.fields).toMatchObject({ account_no: 'A2', billing_month: '2026-09' });
});

it('a full delivery withdraws what it no longer holds (record.withdrawn); withdrawing too large a share holds the events for an operator', async () => {
  const market = { source_unit: '临沂市市场监督管理局', source_unit_uscc: '11371300001959504N' };
  const rows = Array.from({ length: 10 }, (_, i) => penalty(100 + i, USCCS[i], market));
  const base = await deliver(t.db, 'penalty', rows, { provider: 'market' });
  expect(base.issues).toEqual([]);
  expect(base.inserted).toBe(10);
  const one = await deliver(t.db, 'penalty', rows.slice(1), { provider: 'market', fullDelivery: true });
  expect(await eventsOf(one.batchId)).toEqual([{ type: 'record.withdrawn', uscc: USCCS[0], backfill: false, held: false, severity: 'low' }]);
  expect((await t.db.knex('batches').where({ id: one.batchId }).first()).withdrawn).toBe(1);
  expect(await t.db.knex('credit_record_versions').where({ superseded_by_batch: one.batchId })).toHaveLength(1);

  const truncated = await deliver(t.db, 'penalty', [...rows.slice(1, 3), penalty(200, USCCS[15], market)], { provider: 'market', fullDelivery: true });
  const evs = await eventsOf(truncated.batchId);
  expect(evs.filter((e) => e.type === 'record.withdrawn')).toHaveLength(7);
  expect(evs.every((e) => e.held)).toBe(true);
  expect(evs.some((e) => e.type === 'penalty.created')).toBe(true);
  expect(await t.db.knex('alert_holds').where({ batch_id: truncated.batchId }).first()).toMatchObject({ withdrawn: 7, records_before: 9, events: 8 });
});
