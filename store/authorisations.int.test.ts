import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { registerInstitution } from './institutions.ts';
import { enterpriseReads } from './queries.ts';
import { authorisationInForce, authorisationsInForce, authorisedEnterprises, grantAuthorisation, listAuthorisations, revokeAuthorisation } from './authorisations.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('authz');
});
afterAll(async () => {
  await t?.drop();
});

const U = '91371300328348377N';

it('answers whether a grant is in force for an enterprise, category and recipient, and stops after a revoke or expiry', async () => {
  const bank = (await registerInstitution(t.db, '临沂某银行')).institution;
  const other = (await registerInstitution(t.db, '另一银行')).institution;
  const g = await grantAuthorisation(t.db, {
    enterpriseUscc: U, categories: ['water', 'gas'], institution: bank, grantedAt: '2026-01-01T00:00:00Z',
    expiresAt: '2027-01-01T00:00:00Z', evidenceKind: '线上', recordedBy: 'admin',
  });
  const ids: Record<string, string> = { 临沂某银行: bank.id, 另一银行: other.id };
  const ask = (category: 'water' | 'rnd', institution: string | null, at: string) =>
    authorisationInForce(t.db, { enterpriseUscc: U, category, institutionId: institution === null ? null : ids[institution], at });
  expect((await ask('water', '临沂某银行', '2026-06-01T00:00:00Z'))?.id).toBe(g.id);
  expect(await ask('rnd', '临沂某银行', '2026-06-01T00:00:00Z')).toBeUndefined();
  expect(await ask('water', '另一银行', '2026-06-01T00:00:00Z')).toBeUndefined();
  expect(await ask('water', null, '2026-06-01T00:00:00Z')).toBeUndefined();
  expect(await ask('water', '临沂某银行', '2027-01-01T00:00:00Z')).toBeUndefined();
  expect(await revokeAuthorisation(t.db, g.id, '2026-07-01T00:00:00Z')).toBe(true);
  expect(await ask('water', '临沂某银行', '2026-08-01T00:00:00Z')).toBeUndefined();
  expect(await revokeAuthorisation(t.db, '00000000-0000-0000-0000-000000000000', '2026-07-01T00:00:00Z')).toBe(false);
  expect((await listAuthorisations(t.db, U))[0]).toMatchObject({ id: g.id, revoked_at: '2026-07-01T00:00:00.000Z', categories: ['water', 'gas'] });
});

it('lists the enterprises a per-enterprise connector may call for a category', async () => {
  await grantAuthorisation(t.db, { enterpriseUscc: '913713006140090858', categories: ['water'], institution: null, grantedAt: '2026-01-01T00:00:00Z', expiresAt: '2027-01-01T00:00:00Z', evidenceKind: '书面', recordedBy: 'admin' });
  const revoked = await grantAuthorisation(t.db, { enterpriseUscc: '913713000673687316', categories: ['water'], institution: null, grantedAt: '2026-01-01T00:00:00Z', expiresAt: '2027-01-01T00:00:00Z', evidenceKind: '书面', recordedBy: 'admin' });
  await revokeAuthorisation(t.db, revoked.id, '2026-02-01T00:00:00Z');
  expect(await authorisedEnterprises(t.db, 'water', '2026-06-01T00:00:00Z')).toEqual(['913713006140090858']);
  expect(await authorisedEnterprises(t.db, 'gas', '2026-06-01T00:00:00Z')).toEqual([]);
});

// The profile asks for one enterprise's grants to one institution on every request. At 10M records the
// planner, on statistics taken before a bank's grants were linked to it by UPDATE (autovacuum off), walked
// all the bank's grants per request through the institution index (bench/RESULTS.md, the query bench).
// The plan must find the grant by both columns even on statistics that stale.
it('finds an enterprise\'s grants to an institution by both columns, even on stale statistics', async () => {
  const k = t.db.knex;
  const bank = (await registerInstitution(t.db, '统计过期的银行')).institution;
  await k.raw(`INSERT INTO enterprise_authorisations (id, enterprise_uscc, categories, institution, evidence_kind, recorded_by, granted_at, expires_at)
    SELECT gen_random_uuid(), 'E' || lpad(g::text, 17, '0'), ARRAY['water'], ?, '线上', 'test', '2026-01-01', '2027-01-01' FROM generate_series(1, 20000) g`, [bank.name]);
  await k.raw('ANALYZE enterprise_authorisations');
  await k('enterprise_authorisations').where({ institution: bank.name }).update({ institution_id: bank.id });
  const uscc = `E${'42'.padStart(17, '0')}`;
  const at = '2026-06-01T00:00:00Z';
  // the question alone, and inside the one statement a profile sends
  for (const ask of [() => authorisationsInForce(t.db, { enterpriseUscc: uscc, institutionId: bank.id, at }), () => enterpriseReads(t.db, { uscc, institutionId: bank.id, at }).then((r) => r.grants)]) {
    const sent: { sql: string; bindings: unknown[] }[] = [];
    const listen = (q: { sql: string; bindings: unknown[] }) => sent.push(q);
    k.on('query', listen);
    const found = await ask();
    k.removeListener('query', listen);
    expect(found).toHaveLength(1);
    const { rows } = await k.raw(`EXPLAIN ${sent[0].sql.replace(/\$\d+/g, '?')}`, sent[0].bindings as never);
    // whichever index it takes, both columns are in its condition: no walk through one bank's grants
    const plan = rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/on enterprise_authorisations[^\n]*\n\s+Index Cond: \(\(.*(enterprise_uscc = .*institution_id = |institution_id = .*enterprise_uscc = )/);
  }
});
