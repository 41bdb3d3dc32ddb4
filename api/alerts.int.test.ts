// /watches and /alerts: an analyst's institution only, list import from xlsx and GBK CSV, the pull
// feed by cursor with non-public categories re-checked against the authorisation at read time.
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { relayEvents } from '../store/alerts.ts';
import { grantAuthorisation, revokeAuthorisation } from '../store/authorisations.ts';
import { findInstitution } from '../store/institutions.ts';
import { createApiHarness, multipart, type ApiHarness } from '../test/helpers/api.ts';
import { bill, deliver, penalty, USCCS } from '../test/helpers/alerts.ts';

let h: ApiHarness;
let a: { authorization: string };
let b: { authorization: string };
const A = '临沂银行总行';
const B = '沂蒙农商银行';

beforeAll(async () => {
  h = await createApiHarness('api_alerts');
  a = await h.token('analyst', A);
  b = await h.token('analyst', B);
  await deliver(h.t.db, 'penalty', [penalty(9000, USCCS[19])]); // backfill first
  await deliver(h.t.db, 'water', [bill(USCCS[19], 'Z', '2026-01')]);
});
afterAll(async () => {
  await h?.close();
});

const post = (url: string, headers: object, payload?: object) => h.app.inject({ method: 'POST', url, headers: headers as any, payload: payload as any });

it('an analyst watches an enterprise for their own institution; a bad one is refused with the reason; a provider may not', async () => {
  const r = await post('/watches', a, { subjectUscc: USCCS[0], eventTypes: ['penalty.created'], loanRef: 'JK-2026-001', activeUntil: '2028-12-31' });
  expect(r.statusCode).toBe(201);
  expect(r.json()).toMatchObject({ subjectUscc: USCCS[0], eventTypes: ['penalty.created'], loanRef: 'JK-2026-001', status: 'active', activeUntil: '2028-12-31' });
  const bad = await post('/watches', a, { subjectUscc: '91371300000000000X' });
  expect(bad.statusCode).toBe(422);
  expect(bad.json().problems[0]).toMatchObject({ column: 'subjectUscc', value: '91371300000000000X' });
  expect((await post('/watches', await h.token('provider', 'ecology'), { subjectUscc: USCCS[0] })).statusCode).toBe(403);

  const mine = (await h.app.inject({ url: '/watches', headers: a })).json().items;
  expect(mine.map((w: any) => w.subjectUscc)).toEqual([USCCS[0]]);
  expect((await h.app.inject({ url: '/watches', headers: b })).json().items).toEqual([]);
  expect((await post(`/watches/${mine[0].id}/pause`, b)).statusCode).toBe(404);
  expect((await post(`/watches/${mine[0].id}/pause`, a)).json().status).toBe('paused');
  expect((await post(`/watches/${mine[0].id}/resume`, a)).json().status).toBe('active');
  const log = await h.t.db.knex('access_log').where({ action: 'watch.add' });
  expect(log.map((l: any) => l.actor_unit)).toEqual([A]);
});

it('imports a borrower list from xlsx; a GBK CSV with an error imports nothing and says which line and why', async () => {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('借款企业');
  ws.addRow(['企业名称', '统一社会信用代码', '贷款编号', '截止日期']);
  ws.addRow(['甲公司', USCCS[1], 'JK-1', '2027-06-30']);
  ws.addRow(['乙公司', USCCS[2], 'JK-2', '']);
  const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
  const up = multipart({}, { name: '名单.xlsx', content: xlsx });
  const r = await h.app.inject({ method: 'POST', url: '/watches/import', headers: { ...b, ...up.headers }, payload: up.payload });
  expect(r.statusCode).toBe(200);
  expect(r.json()).toEqual({ imported: 2 });
  const items = (await h.app.inject({ url: '/watches', headers: b })).json().items;
  expect(items.map((w: any) => [w.subjectUscc, w.loanRef, w.activeUntil])).toEqual([[USCCS[1], 'JK-1', '2027-06-30'], [USCCS[2], 'JK-2', null]].sort());

  const csv = iconv.encode(`统一社会信用代码,贷款编号,事件类型\r\n${USCCS[3]},JK-3,penalty.created\r\n${USCCS[4]},JK-4,违约\r\n`, 'gbk');
  const up2 = multipart({}, { name: 'list.csv', content: csv });
  const bad = await h.app.inject({ method: 'POST', url: '/watches/import', headers: { ...b, ...up2.headers }, payload: up2.payload });
  expect(bad.statusCode).toBe(422);
  expect(bad.json().problems).toEqual([expect.objectContaining({ line: 3, column: '事件类型', value: '违约' })]);
  expect((await h.app.inject({ url: '/watches', headers: b })).json().items).toHaveLength(2);
});

it('GET /alerts pages by cursor through the institution\'s own alerts; a water alert is left out (and counted) once the authorisation is revoked', async () => {
  await post('/watches', b, { subjectUscc: USCCS[5] });
  const grant = await grantAuthorisation(h.t.db, {
    enterpriseUscc: USCCS[5], categories: ['water'], institution: (await findInstitution(h.t.db, B))!, grantedAt: new Date(Date.now() - 86_400_000).toISOString(),
    expiresAt: new Date(Date.now() + 86_400_000 * 30).toISOString(), evidenceKind: '线上', recordedBy: 'test',
  });
  await deliver(h.t.db, 'penalty', [penalty(1, USCCS[5]), penalty(2, USCCS[5]), penalty(3, USCCS[6])]);
  await deliver(h.t.db, 'water', [bill(USCCS[5], 'W1', '2026-10', 20)]);
  await relayEvents(h.t.db, new Date(), 60_000);
  const p1 = (await h.app.inject({ url: '/alerts?limit=2', headers: b })).json();
  expect(p1.items.map((i: any) => i.type)).toEqual(['penalty.created', 'penalty.created']);
  expect(p1.items[0]).toMatchObject({ subjectUscc: USCCS[5], category: 'penalty', severity: 'high' });
  const p2 = (await h.app.inject({ url: `/alerts?cursor=${p1.next}`, headers: b })).json();
  expect(p2.items.map((i: any) => i.type)).toEqual(['arrears.started']);
  expect((await h.app.inject({ url: `/alerts?cursor=${p2.next}`, headers: b })).json()).toMatchObject({ items: [], withheld: 0 });
  expect((await h.app.inject({ url: '/alerts', headers: a })).json().items).toEqual([]);

  await revokeAuthorisation(h.t.db, grant.id, new Date().toISOString());
  const again = (await h.app.inject({ url: `/alerts?cursor=${p1.next}`, headers: b })).json();
  expect(again).toMatchObject({ items: [], withheld: 1, withheldBy: { unauthorised: 1, lapsed: 0 }, next: p2.next });
});

it('GET /alerts leaves out a water alert whose bill was collected under the platform\'s authorisation once that is revoked, though the bank\'s own grant is in force, and says why; a new grant does not bring it back to a reader following the cursor', async () => {
  const uscc = USCCS[7];
  await post('/watches', b, { subjectUscc: uscc, eventTypes: ['arrears.started'] });
  const grant = async (institution: { id: string; name: string } | null) => grantAuthorisation(h.t.db, {
    enterpriseUscc: uscc, categories: ['water'], institution, grantedAt: new Date(Date.now() - 86_400_000).toISOString(),
    expiresAt: new Date(Date.now() + 86_400_000 * 365).toISOString(), evidenceKind: '书面', recordedBy: 'test',
  });
  await grant((await findInstitution(h.t.db, B))!);
  const platform = await grant(null);
  const read = async (cursor: number) => (await h.app.inject({ url: `/alerts?cursor=${cursor}&limit=500`, headers: b })).json();
  const start = (await read(0)).next;
  await deliver(h.t.db, 'water', [bill(uscc, 'L1', '2026-10', 40)]);
  await relayEvents(h.t.db, new Date(), 60_000);
  const before = await read(start);
  expect(before.items.map((i: any) => [i.type, i.subjectUscc])).toEqual([['arrears.started', uscc]]);

  await revokeAuthorisation(h.t.db, platform.id, new Date().toISOString());
  const after = await read(start);
  expect(after).toMatchObject({ items: [], withheld: 1, withheldBy: { lapsed: 1, unauthorised: 0 }, next: before.next });
  const logged = await h.t.db.knex('access_log').where({ action: 'alerts.read' }).orderBy('seq', 'desc').first();
  expect(logged.detail).toMatchObject({ returned: 0, withheld: 1, withheldBy: { lapsed: 1 } });

  // Loaded after the revocation: withheld at the relay, so it never enters the feed.
  await deliver(h.t.db, 'water', [bill(uscc, 'L2', '2026-10', 40)]);
  await relayEvents(h.t.db, new Date(), 60_000);
  const notes = await h.t.db.knex('alert_notifications as n').join('credit_events as e', 'e.id', 'n.event_id').where({ 'e.subject_uscc': uscc }).orderBy('n.seq');
  expect(notes.map((n: any) => [n.status, n.withheld_reason])).toEqual([['notified', null], ['withheld', 'lapsed']]);

  // A new grant: nothing new for a reader going on from its cursor; re-reading the past shows what may be served now.
  await grant(null);
  expect(await read(after.next)).toMatchObject({ items: [], withheld: 0 });
  expect((await read(start)).items.map((i: any) => i.eventId)).toEqual(before.items.map((i: any) => i.eventId));
});
