// Analyst side over real PostgreSQL: masking and withholding without an authorisation, full view
// with one in force, masked again after a revoke; every read in the access log, and `audit verify`
// catching an entry edited in the database.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_USCC } from '../testkit/generate-fixtures.ts';
import { createApiHarness, type ApiHarness } from '../test/helpers/api.ts';
import { runCli } from '../test/helpers/cli.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { registerInstitution } from '../store/institutions.ts';
import { fixture, ingest } from '../test/helpers/ingest.ts';
import { readable } from '../test/helpers/records.ts';

// The fixtures are "as of" 2025-06-30; on this day one of the demo enterprise's two penalties is
// still in its publicity period (ends 2025-09-22), the other is past it (2022-09-29).
const NOW = new Date('2025-07-01T08:00:00.000Z');
const BANK = '临沂某商业银行';
const OTHER_BANK = '临沂另一农商银行';
const GATED = ['water', 'gas', 'rnd', 'agri'];

let h: ApiHarness;
let bank: { authorization: string };
let otherBank: { authorization: string };
let admin: { authorization: string };
let idNumber: string;
beforeAll(async () => {
  h = await createApiHarness('api_enterprises', { now: () => NOW });
  const deliveries: [string, string][] = [['licensing', '市发展改革委'], ['penalty', '市发展改革委'], ['enforcement', '市发展改革委'],
    ['water', '市供水单位'], ['gas', '市燃气单位'], ['rnd', '市科技局'], ['agri', '市农业农村局']];
  for (const [category, provider] of deliveries) expect((await ingest(h.t.db, fixture(`${category}.csv`), category, provider)).status).toBe('loaded');
  bank = await h.token('analyst', BANK);
  otherBank = await h.token('analyst', OTHER_BANK);
  admin = await h.token('admin', '平台运营');
  const rec = readable(await h.t.db.knex('credit_records').where({ subject_uscc: DEMO_USCC, category: 'licensing' }).first());
  idNumber = rec.fields.legal_rep_id_number;
});
afterAll(async () => {
  await h?.close();
});

const profile = async (auth: { authorization: string }, query = '') => {
  const r = await h.app.inject({ url: `/enterprises/${DEMO_USCC}${query}`, headers: auth });
  expect(r.statusCode).toBe(200);
  return { body: r.json(), requestId: r.headers['x-request-id'] as string };
};
const idFields = (body: any) => body.categories.flatMap((c: any) => c.records.map((r: any) => [r.fields.legal_rep_id_type, r.fields.legal_rep_id_number]))
  .filter(([, n]: string[]) => n);
const reads = () => h.t.db.knex('access_log').where({ action: 'enterprise.read' }).orderBy('seq');

describe('reading an enterprise under its authorisation', () => {
  const requestIds: string[] = [];
  let grantId: string;

  it('without an authorisation: public categories with the ID fields masked, the non-public ones left out with the reason', async () => {
    const { body, requestId } = await profile(bank);
    requestIds.push(requestId);
    expect(body.name).toBe('平邑县嘉禾食品有限公司');
    expect(body.categories.map((c: any) => c.category)).toEqual(['licensing', 'penalty', 'enforcement']);
    expect(body.withheld.map((w: any) => w.category)).toEqual(GATED);
    expect(body.withheld[0].reasonZh).toContain('未经企业授权');
    expect(body.indicators).toEqual({});
    const ids = idFields(body);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every(([type, n]: string[]) => type === '***' && n === `${idNumber.slice(0, 4)}**********${idNumber.slice(-4)}`)).toBe(true);
    expect(body.categories[0].maskedFields).toEqual(['legal_rep_id_number', 'legal_rep_id_type']);
    expect(body.categories[0].records[0].provenance).toMatchObject({ deliveredBy: '临沂市发展和改革委员会', batchId: expect.any(String), sourceLine: expect.any(Number) });
    expect(JSON.stringify(body)).not.toContain(idNumber);
  });

  it('with an authorisation in force for the institution: every category, the ID fields in clear, and the derived indicators', async () => {
    const g = await h.app.inject({
      method: 'POST', url: '/admin/authorisations', headers: admin,
      payload: { enterpriseUscc: DEMO_USCC, categories: ['licensing', 'penalty', 'enforcement', ...GATED], institution: BANK,
        grantedAt: '2025-06-01T00:00:00Z', expiresAt: '2026-06-01T00:00:00Z', evidenceKind: '线上', evidenceRef: 'consent-001' },
    });
    expect(g.statusCode).toBe(201);
    grantId = g.json().id;
    const { body, requestId } = await profile(bank);
    requestIds.push(requestId);
    expect(body.categories.map((c: any) => c.category)).toEqual(['licensing', 'penalty', 'enforcement', ...GATED]);
    expect(body.withheld).toEqual([]);
    expect(body.categories.every((c: any) => c.authorisation?.id === grantId && c.maskedFields.length === 0)).toBe(true);
    expect(idFields(body).every(([type, n]: string[]) => type === '身份证' && n === idNumber)).toBe(true);
    expect(body.indicators.water.accounts.length).toBeGreaterThan(0);
    expect(body.indicators.water.accounts[0]).toHaveProperty('avg3m.average');
    expect(body.indicators.water.enterprise).toHaveProperty('inArrears');

    // the grant is the bank's: another institution still sees the masked view
    const other = await profile(otherBank);
    expect(other.body.withheld.map((w: any) => w.category)).toEqual(GATED);
    expect(JSON.stringify(other.body)).not.toContain(idNumber);
  });

  it('after a revoke: masked and withheld again', async () => {
    expect((await h.app.inject({ method: 'POST', url: `/admin/authorisations/${grantId}/revoke`, headers: admin })).json().revoked_at).toBe(NOW.toISOString());
    const { body, requestId } = await profile(bank);
    requestIds.push(requestId);
    expect(body.withheld.map((w: any) => w.category)).toEqual(GATED);
    expect(JSON.stringify(body)).not.toContain(idNumber);
  });

  it('records each read: who, when, which enterprise, what was returned, masked or withheld, under which authorisation, and the request id', async () => {
    const bankReads = (await reads()).filter((e) => e.actor_unit === BANK);
    expect(bankReads.map((e) => e.request_id)).toEqual(requestIds);
    const [before, during, after] = bankReads;
    for (const e of bankReads) expect(e).toMatchObject({ actor_role: 'analyst', enterprises: [DEMO_USCC], at: NOW });
    expect(before.detail).toMatchObject({ returned: ['licensing', 'penalty', 'enforcement'], withheld: GATED, authorisations: {} });
    expect(before.detail.masked.licensing).toEqual(['legal_rep_id_number', 'legal_rep_id_type']);
    expect(during.detail).toMatchObject({ withheld: [], masked: {}, authorisations: { water: grantId, licensing: grantId } });
    expect(after.detail).toMatchObject({ withheld: GATED, authorisations: {} });
    const ops = await h.t.db.knex('access_log').whereIn('action', ['authorisation.grant', 'authorisation.revoke']).orderBy('seq');
    expect(ops.map((o) => [o.action, o.actor_unit, o.detail.authorisationId])).toEqual([['authorisation.grant', '平台运营', grantId], ['authorisation.revoke', '平台运营', grantId]]);
  });

  it('the log cannot be changed through ordinary SQL, and `credit-etl audit verify` reports an entry edited in the database', async () => {
    const env = { DATABASE_URL: h.t.url };
    const intact = await runCli(['audit', 'verify', '--json'], env);
    expect(intact.code, intact.stderr).toBe(0);
    expect(JSON.parse(intact.stdout)).toMatchObject({ ok: true, problems: [] });

    const [, during] = (await reads()).filter((e) => e.actor_unit === BANK);
    await expect(h.t.db.knex('access_log').where({ seq: during.seq }).update({ actor_unit: 'someone else' })).rejects.toThrow(/append-only/);
    // Someone with the rights to switch triggers off rewrites what the bank was shown.
    await h.t.db.knex.transaction(async (trx) => {
      await trx.raw("SET LOCAL session_replication_role = 'replica'");
      await trx('access_log').where({ seq: during.seq }).update({ detail: trx.raw(`jsonb_set(detail, '{withheld}', '["water"]')`) });
    });
    const tampered = await runCli(['audit', 'verify'], env);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain(`#${during.seq} content`);
    expect(tampered.stdout).toContain('被修改');
  });
});

describe('publicity period and search', () => {
  it('leaves out a penalty past its 公示截止期; only an admin may ask for it', async () => {
    const { body } = await profile(bank);
    const penalty = body.categories.find((c: any) => c.category === 'penalty');
    expect(penalty.records.map((r: any) => r.fields.publicity_end)).toEqual(['2025-09-22']);
    // Analysts are not told how many were left out (the count would disclose them); the log and admins are.
    expect(body).not.toHaveProperty('pastPublicityHidden');
    const read = await h.t.db.knex('access_log').where({ action: 'enterprise.read', actor_unit: BANK }).orderBy('seq', 'desc').first();
    expect(read.detail.pastPublicityHidden).toBe(1);
    expect((await profile(admin)).body.pastPublicityHidden).toBe(1);
    const refused = await h.app.inject({ url: `/enterprises/${DEMO_USCC}?includePastPublicity=true`, headers: bank });
    expect(refused.statusCode).toBe(403);
    // The refusal is an access attempt, logged with what was asked.
    expect(await h.t.db.knex('access_log').where({ action: 'access.denied', request_id: refused.headers['x-request-id'] }).first())
      .toMatchObject({ actor_unit: BANK, enterprises: [DEMO_USCC], detail: { code: 'E_FORBIDDEN', method: 'GET', route: '/enterprises/:uscc' } });
    const all = await profile(admin, '?includePastPublicity=true');
    expect(all.body.categories.find((c: any) => c.category === 'penalty').records).toHaveLength(2);
  });

  it('searches the public categories a page at a time, masked, and logs the enterprises returned', async () => {
    const page = (q: string) => h.app.inject({ url: `/records?${q}`, headers: bank });
    const first = (await page('category=行政许可&pageSize=5')).json();
    const second = (await page('category=licensing&pageSize=5&page=2')).json();
    expect(first.total).toBe(await h.t.db.knex('credit_records').where({ category: 'licensing' }).count({ n: '*' }).then((r) => Number(r[0].n)));
    expect(first.items).toHaveLength(5);
    expect(new Set([...first.items, ...second.items].map((i: any) => i.naturalKey)).size).toBe(10);
    const withId = first.items.find((i: any) => i.fields.legal_rep_id_number);
    expect(withId.fields.legal_rep_id_number).toMatch(/^.{4}\*+.{4}$/);
    expect(withId.maskedFields).toEqual(['legal_rep_id_type', 'legal_rep_id_number']);

    const demo = (await page(`q=${DEMO_USCC}&category=penalty`)).json();
    expect(demo.items.map((i: any) => i.fields.publicity_end)).toEqual(['2025-09-22']);
    const byAuthority = (await page(`authority=${encodeURIComponent('生态环境局')}&from=2024-01-01&to=2024-12-31`)).json();
    expect(byAuthority.items.length).toBeGreaterThan(0);
    expect(byAuthority.items.every((i: any) => i.fields.authority_name.includes('生态环境局') && i.eventDate >= '2024-01-01' && i.eventDate <= '2024-12-31')).toBe(true);

    const gated = await page('category=water');
    expect(gated.statusCode).toBe(403);
    expect(gated.json()).toMatchObject({ code: 'E_CATEGORY_NEEDS_AUTHORISATION' });
    const logged = await h.t.db.knex('access_log').where({ action: 'records.search', request_id: (await page(`q=${DEMO_USCC}`)).headers['x-request-id'] }).first();
    expect(logged.enterprises).toEqual([DEMO_USCC]);
    expect(logged.detail.masked[`${DEMO_USCC}|licensing`]).toEqual(['legal_rep_id_number', 'legal_rep_id_type']);
  });

  it('refuses a token it has answered before, once the token is revoked through the admin API or plain SQL', async () => {
    // the service keeps its token checks in memory (store/token-cache.ts): a revocation must reach it
    for (const door of ['api', 'sql'] as const) {
      const made = await createApiToken(h.t.db, { role: 'analyst', unit: BANK, createdBy: 'test', institutionId: (await registerInstitution(h.t.db, BANK)).institution.id });
      const auth = { authorization: `Bearer ${made.token}` };
      expect((await h.app.inject({ url: `/enterprises/${DEMO_USCC}`, headers: auth })).statusCode).toBe(200);
      if (door === 'api') expect((await h.app.inject({ method: 'POST', url: `/admin/tokens/${made.record.id}/revoke`, headers: admin })).statusCode).toBe(204);
      else await h.t.db.knex.raw('UPDATE api_tokens SET revoked_at = now() WHERE id = ?', [made.record.id]);
      await vi.waitFor(async () => expect((await h.app.inject({ url: `/enterprises/${DEMO_USCC}`, headers: auth })).statusCode, door).toBe(401), { timeout: 2_000 });
    }
  });

  it('gives a provider 403 on analyst routes and no token 401, whether or not the enterprise exists', async () => {
    const provider = await h.token('provider', 'ndrc');
    for (const uscc of [DEMO_USCC, '91370000000000000X']) {
      expect((await h.app.inject({ url: `/enterprises/${uscc}` })).statusCode).toBe(401);
      expect((await h.app.inject({ url: `/enterprises/${uscc}`, headers: provider })).statusCode).toBe(403);
    }
  });
});
