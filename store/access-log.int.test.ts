import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { appendAccess, canonicalJson, verifyAccessLog } from './access-log.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('access_log');
});
afterAll(async () => {
  await t?.drop();
});

const actor = { role: 'analyst', unit: '临沂某银行', tokenId: null };
const append = (n: number) => appendAccess(t.db, {
  at: `2026-01-0${n}T00:00:00.000Z`, requestId: `req-${n}`, actor, action: 'enterprise.read', enterprises: ['91371300328348377N'],
  detail: { returned: ['licensing'], masked: { licensing: ['legal_rep_id_number'] }, n },
});
/** What someone able to switch triggers off could do to the table. */
const tamper = (sql: string) => t.db.knex.transaction(async (trx) => {
  await trx.raw("SET LOCAL session_replication_role = 'replica'");
  await trx.raw(sql);
});

it('hashes independently of key order', () => {
  expect(canonicalJson({ b: 1, a: [{ d: null, c: '中' }] })).toBe(canonicalJson({ a: [{ c: '中', d: null }], b: 1 }));
});

it('chains concurrent appends in one order and verifies them', async () => {
  await Promise.all([1, 2, 3, 4, 5].map(append));
  expect(await verifyAccessLog(t.db)).toEqual({ ok: true, entries: 5, problems: [], checkpoint: null });
});

it('reports a deleted entry in the middle and entries cut off the end', async () => {
  await tamper('DELETE FROM access_log WHERE seq = 2');
  const middle = await verifyAccessLog(t.db);
  expect(middle.problems.map((p) => [p.seq, p.kind])).toEqual([[3, 'gap'], [3, 'link']]);
  await tamper('DELETE FROM access_log WHERE seq = 5');
  const end = await verifyAccessLog(t.db);
  expect(end.problems.map((p) => p.kind)).toContain('head');
});
