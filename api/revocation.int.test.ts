// Revocation reaches the data: what the platform collected under an enterprise's authorisation is no
// longer served to anyone once none is in force, is served again under a new one, and is purged
// (and the purge logged) after the retention period.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_USCC } from '../testkit/generate-fixtures.ts';
import { createApiHarness, type ApiHarness } from '../test/helpers/api.ts';
import { fixture, ingest } from '../test/helpers/ingest.ts';
import { grant, purgeLapsed, revoke } from './operations.ts';

const BANK = '临沂某商业银行';
let h: ApiHarness;
let bank: { authorization: string };
let admin: { authorization: string };
const ctx = () => ({ actor: { role: 'admin', unit: '平台运营', tokenId: null }, requestId: null, now: new Date() });
const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();
const nextYear = () => new Date(Date.now() + 365 * 86_400_000).toISOString();
const platformGrant = () => grant(h.t.db, ctx(), {
  enterpriseUscc: DEMO_USCC, categories: ['water'], institution: null, grantedAt: new Date().toISOString(), expiresAt: nextYear(), evidenceKind: '线上',
});
const water = async (who: { authorization: string }) => {
  const body = (await h.app.inject({ url: `/enterprises/${DEMO_USCC}`, headers: who })).json();
  return { records: body.categories.find((c: any) => c.category === 'water')?.records.length ?? 0, body };
};
const stored = async () => Number((await h.t.db.knex('credit_records').where({ subject_uscc: DEMO_USCC, category: 'water' }).count({ n: '*' }))[0].n);

let collected: number;
beforeAll(async () => {
  h = await createApiHarness('api_revocation');
  bank = await h.token('analyst', BANK);
  admin = await h.token('admin', '平台运营');
  // Collected under the platform's authorisation: loaded while it is in force.
  const first = await grant(h.t.db, ctx(), { enterpriseUscc: DEMO_USCC, categories: ['water'], institution: null, grantedAt: hourAgo(), expiresAt: nextYear(), evidenceKind: '书面' });
  await grant(h.t.db, ctx(), { enterpriseUscc: DEMO_USCC, categories: ['water'], institution: BANK, grantedAt: hourAgo(), expiresAt: nextYear(), evidenceKind: '书面' });
  expect((await ingest(h.t.db, fixture('water.csv'), 'water', 'water-utility')).status).toBe('loaded');
  collected = await stored();
  expect(collected).toBeGreaterThan(0);
  expect((await water(bank)).records).toBe(collected);
  await revoke(h.t.db, ctx(), first.id);
});
afterAll(async () => {
  await h?.close();
});

it('serves nothing collected under a revoked authorisation, to the bank or to an admin, and says why', async () => {
  const { records, body } = await water(bank);
  expect(records).toBe(0);
  expect(body.indicators.water).toBeUndefined();
  expect(body.withheld.find((w: any) => w.category === 'water').reasonEn).toMatch(/revoked or has expired/);
  expect((await water(admin)).records).toBe(0);
  const read = await h.t.db.knex('access_log').where({ action: 'enterprise.read', actor_unit: BANK }).orderBy('seq', 'desc').first();
  expect(read.detail.lapsed).toEqual({ water: collected });
});

it('serves it again under a new authorisation, and keeps it within the retention period', async () => {
  const renewed = await platformGrant();
  expect((await water(bank)).records).toBe(collected);
  await revoke(h.t.db, ctx(), renewed.id);
  expect((await water(bank)).records).toBe(0);
  expect(await purgeLapsed(h.t.db, ctx(), 1)).toEqual([]);
  expect(await stored()).toBe(collected);
});

it('purges it after the retention period and logs the purge', async () => {
  const purged = await purgeLapsed(h.t.db, ctx(), 0);
  expect(purged.map((p) => [p.enterprise_uscc, p.category, p.records])).toEqual([[DEMO_USCC, 'water', collected]]);
  expect(await stored()).toBe(0);
  const entry = await h.t.db.knex('access_log').where({ action: 'records.purge' }).first();
  expect(entry).toMatchObject({ enterprises: [DEMO_USCC], detail: { retentionDays: 0, purged: [{ uscc: DEMO_USCC, category: 'water', records: collected }] } });
  // Other enterprises' water records, delivered without any platform authorisation, stay.
  expect(Number((await h.t.db.knex('credit_records').where({ category: 'water' }).count({ n: '*' }))[0].n)).toBeGreaterThan(0);
});
