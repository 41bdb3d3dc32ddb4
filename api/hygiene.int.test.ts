// Input edge cases at the service's edge: NUL and broken text are a 400 with a catalogued code, not a
// 500 from the store; answers that may carry personal data are never cached; grant dates are whole
// days in Beijing time.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_USCC } from '../testkit/generate-fixtures.ts';
import { authorisationInForce } from '../store/authorisations.ts';
import { createApiHarness, type ApiHarness } from '../test/helpers/api.ts';

let h: ApiHarness;
let admin: { authorization: string };
let bank: { authorization: string };
beforeAll(async () => {
  h = await createApiHarness('api_hygiene');
  admin = await h.token('admin', '平台运营');
  bank = await h.token('analyst', '临沂某银行');
});
afterAll(async () => {
  await h?.close();
});

it('answers NUL or a lone surrogate in a query parameter or an admin field with 400 E_INVALID_TEXT', async () => {
  for (const url of ['/records?q=%00', '/records?authority=a%00b', `/enterprises/${DEMO_USCC}?includePastPublicity=%00`]) {
    const r = await h.app.inject({ url, headers: bank });
    expect(r.statusCode, url).toBe(400);
    expect(r.json(), url).toMatchObject({ code: 'E_INVALID_TEXT', messageEn: expect.stringContaining('NUL') });
  }
  const body = await h.app.inject({ method: 'POST', url: '/admin/tokens', headers: admin, payload: { role: 'analyst', unit: '临沂\u0000银行' } });
  expect(body.statusCode).toBe(400);
  expect(body.json()).toMatchObject({ code: 'E_INVALID_TEXT', messageEn: expect.stringContaining('"unit"') });
  const label = await h.app.inject({ method: 'POST', url: '/admin/tokens', headers: admin, payload: { role: 'analyst', unit: '临沂银行', label: '\ud800' } });
  expect(label.statusCode).toBe(400);
});

it('marks every answer to a token no-store, personal data or not', async () => {
  for (const [url, who] of [[`/enterprises/${DEMO_USCC}`, bank], ['/records', bank], ['/admin/tokens', admin]] as const) {
    const r = await h.app.inject({ url, headers: who });
    expect(r.statusCode, url).toBe(200);
    expect(r.headers['cache-control'], url).toBe('no-store');
  }
  expect((await h.app.inject({ url: '/records' })).headers['cache-control']).toBe('no-store');
});

it('reads grant dates as whole days in Beijing time: "until 2027-06-30" lasts through that day there', async () => {
  const r = await h.app.inject({
    method: 'POST', url: '/admin/authorisations', headers: admin,
    payload: { enterpriseUscc: DEMO_USCC, categories: ['water'], institution: ' 临沂某银行', grantedAt: '2026-07-01', expiresAt: '2027-06-30', evidenceKind: '书面' },
  });
  expect(r.statusCode).toBe(201);
  expect(r.json()).toMatchObject({ granted_at: '2026-06-30T16:00:00.000Z', expires_at: '2027-06-30T16:00:00.000Z' });
  const bankId = r.json().institution_id;
  const at = (beijing: string) => authorisationInForce(h.t.db, { enterpriseUscc: DEMO_USCC, category: 'water', institutionId: bankId, at: new Date(beijing).toISOString() });
  expect(await at('2026-07-01T00:00:00+08:00')).toBeDefined();
  expect(await at('2026-06-30T23:59:59+08:00')).toBeUndefined();
  expect(await at('2027-06-30T23:59:59+08:00')).toBeDefined();
  expect(await at('2027-07-01T00:00:00+08:00')).toBeUndefined();
});

it('keeps institutions as a registry: names normalised to one id, tokens and grants refused for an unregistered one', async () => {
  const again = await h.app.inject({ method: 'POST', url: '/admin/institutions', headers: admin, payload: { name: '　临沂某银行 ' } });
  expect(again.statusCode).toBe(200);
  const [bank] = (await h.app.inject({ url: '/admin/institutions', headers: admin })).json();
  expect(again.json()).toEqual(bank);
  const token = await h.app.inject({ method: 'POST', url: '/admin/tokens', headers: admin, payload: { role: 'analyst', unit: ' 临沂某银行' } });
  expect(token.json()).toMatchObject({ unit: '临沂某银行', institution_id: bank.id });
  for (const payload of [{ role: 'analyst', unit: '未登记银行' }]) {
    const r = await h.app.inject({ method: 'POST', url: '/admin/tokens', headers: admin, payload });
    expect(r.json()).toMatchObject({ code: 'E_UNKNOWN_INSTITUTION' });
  }
  const grant = await h.app.inject({
    method: 'POST', url: '/admin/authorisations', headers: admin,
    payload: { enterpriseUscc: DEMO_USCC, categories: ['gas'], institution: '未登记银行', grantedAt: '2026-01-01', expiresAt: '2027-01-01', evidenceKind: '书面' },
  });
  expect(grant.statusCode).toBe(400);
  expect(grant.json()).toMatchObject({ code: 'E_UNKNOWN_INSTITUTION' });
  // The grant given to " 临沂某银行" above is the bank's: its analysts see the category.
  const profile = (await h.app.inject({ url: `/enterprises/${DEMO_USCC}`, headers: { authorization: `Bearer ${token.json().token}` } })).json();
  expect(profile.categories.map((c: { category: string }) => c.category)).toContain('water');
});
