import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { registerInstitution } from './institutions.ts';
import { authorisationInForce, authorisedEnterprises, grantAuthorisation, listAuthorisations, revokeAuthorisation } from './authorisations.ts';

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
