// The water indicators through the profile API, on a delivery whose figures were worked out by hand:
// calendar windows as of the viewer's day in Asia/Shanghai, a missing month reported, a stale account
// saying 无近期数据, a catch-up payment clearing the debt, the enterprise summed over its accounts, and
// the provider's own figures beside ours with a disagreement flagged.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestFile } from '../ingest/ingest-file.ts';
import { category, findProviderUnit } from '../schemas/registry.ts';
import { createApiHarness, type ApiHarness } from '../test/helpers/api.ts';
import { silentLog } from '../test/helpers/ingest.ts';

const USCC = '91371300328348377N';
const BANK = '临沂某商业银行';
// 02:00 UTC on 15 July is 10:00 in Shanghai: as of 2024-07-15, the windows are 2024-04..06 and 2024-01..06
const NOW = new Date('2024-07-15T02:00:00.000Z');

const BILLS = `企业名称,统一社会信用代码,户名,户号,账期,用水量,应缴金额,实缴金额
临沂市兰山区示例商贸有限公司,${USCC},临沂市兰山区示例商贸有限公司,LS1,2024-01,10,100,100
临沂市兰山区示例商贸有限公司,${USCC},临沂市兰山区示例商贸有限公司,LS1,2024-02,20,100,100
临沂市兰山区示例商贸有限公司,${USCC},临沂市兰山区示例商贸有限公司,LS1,2024-03,30,100,100
临沂市兰山区示例商贸有限公司,${USCC},临沂市兰山区示例商贸有限公司,LS1,2024-04,40,100,0
临沂市兰山区示例商贸有限公司,${USCC},临沂市兰山区示例商贸有限公司,LS1,2024-06,60,100,200
临沂市兰山区示例商贸有限公司,${USCC},临沂市兰山区示例商贸有限公司,LS2,2023-10,100,80,0
`;
// what the provider stated on 2024-07-10 for LS1: 3-month 50 (ours: (40 + 60) / 2 = 50), 6-month 40 (ours: 160 / 5 = 32)
const STATED = `企业名称,统一社会信用代码,水用户信息(户名户号),近3个月月均用水量,近6个月月均用水量,当前是否欠费
临沂市兰山区示例商贸有限公司,${USCC},临沂市兰山区示例商贸有限公司/LS1,50,40,否
`;

let h: ApiHarness;
let dir: string;
let bank: { authorization: string };
beforeAll(async () => {
  h = await createApiHarness('api_indicators', { now: () => NOW });
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-indicators-'));
  for (const [name, text, receivedAt] of [['bills.csv', BILLS, '2024-07-08T01:00:00.000Z'], ['stated.csv', STATED, '2024-07-10T01:00:00.000Z']]) {
    writeFileSync(path.join(dir, name), text);
    const r = await ingestFile(h.t.db, { file: path.join(dir, name), category: category('water'), deliverer: findProviderUnit('water-utility')!, receivedAt }, { log: silentLog });
    expect(r).toMatchObject({ status: 'loaded', rejected: 0 });
  }
  bank = await h.token('analyst', BANK); // registers the institution the grant names
  const admin = await h.token('admin', '平台运营');
  const g = await h.app.inject({
    method: 'POST', url: '/admin/authorisations', headers: admin,
    payload: { enterpriseUscc: USCC, categories: ['water'], institution: BANK, grantedAt: '2024-07-01T00:00:00Z', expiresAt: '2025-07-01T00:00:00Z', evidenceKind: '线上', evidenceRef: 'consent-ind' },
  });
  expect(g.statusCode).toBe(201);
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('the profile shows per-account and per-enterprise water indicators by the documented rule, the provider\'s figures beside them', async () => {
  const r = await h.app.inject({ url: `/enterprises/${USCC}`, headers: bank });
  expect(r.statusCode).toBe(200);
  const water = r.json().indicators.water;
  expect(water.asOf).toBe('2024-07-15');
  const [ls1, ls2] = water.accounts;
  expect(ls1).toMatchObject({
    accountNo: 'LS1', accountName: '临沂市兰山区示例商贸有限公司', latestMonth: '2024-06', noRecentData: false,
    avg3m: { average: 50, billedMonths: 2, missingMonths: ['2024-05'], status: 'partial', statusZh: '部分月份缺失' },
    avg6m: { average: 32, billedMonths: 5, missingMonths: ['2024-05'] },
    // due 500, paid 500: April's debt was caught up in June
    balance: '0.00', inArrears: false,
    stated: { asOf: '2024-07-10', avg3m: '50', avg6m: '40', inArrears: false, provenance: { receivedAt: '2024-07-10T01:00:00.000Z' } },
    comparison: { avg3m: { verdict: 'agrees' }, avg6m: { stated: 40, computed: 32, verdict: 'disagrees' }, inArrears: { verdict: 'agrees' } },
    disagreement: true,
  });
  expect(ls2).toMatchObject({
    accountNo: 'LS2', latestMonth: '2023-10', noRecentData: true, avg3m: { average: null, statusZh: '无近期数据' },
    balance: '80.00', inArrears: true, stated: null, disagreement: false,
  });
  expect(water.enterprise).toMatchObject({
    avg3m: { average: 50, accountsWithData: 1, status: 'partial' }, staleAccounts: ['LS2'], inArrears: true, arrearsTotal: '80.00',
  });

  // another as-of day moves the windows: as of 2024-06-01, 3 months = 2024-03..05, billed 03 and 04: (30 + 40) / 2 = 35; April unpaid
  const earlier = (await h.app.inject({ url: `/enterprises/${USCC}?asOf=2024-06-01`, headers: bank })).json().indicators.water;
  expect(earlier.accounts[0]).toMatchObject({ avg3m: { average: 35, missingMonths: ['2024-05'] }, balance: '100.00', inArrears: true });

  // the SQL view (read by other work) agrees on the arrears flag per account, as of the database's today
  const view = await h.t.db.knex('v_water_indicators').where({ subject_uscc: USCC }).orderBy('account_no').select('account_no', 'in_arrears', 'balance');
  expect(view.map((v) => [v.account_no, v.in_arrears, Number(v.balance)])).toEqual([['LS1', false, 0], ['LS2', true, 80]]);
});
