// The evaluation and the credit report under the revocation rule, through every door: once the
// platform's authorisation to collect water is revoked, the water records collected under it leave the
// enriched evaluation and the report, for the API and the CLI alike, although the bank's own grant is
// still in force; reports and stored evaluations made before still rebuild to what they were; and the
// CLI's reads are in the access log with the OS user and the command.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USCC } from '../testkit/generate-fixtures.ts';
import { evaluatePages } from '../evaluation/bulk.ts';
import { shippedCard } from '../evaluation/card.ts';
import { evaluationJson } from '../evaluation/engine.ts';
import { rebuildEvaluation } from '../evaluation/read.ts';
import { reportHash } from '../evaluation/report.ts';
import { createApiHarness, type ApiHarness } from '../test/helpers/api.ts';
import { runCli } from '../test/helpers/cli.ts';
import { fixture, ingest } from '../test/helpers/ingest.ts';
import { rebuildReport } from './credit-report.ts';
import { grant, revoke } from './operations.ts';

const BANK = '临沂某商业银行';
const ALL = ['licensing', 'penalty', 'enforcement', 'water', 'gas', 'rnd', 'agri'] as const;
const card = shippedCard('basic-v1');
const OS_USER = userInfo().username;

let h: ApiHarness;
let bank: { authorization: string };
let dir: string;
let env: Record<string, string>;
let waterGrant: string;
const ctx = () => ({ actor: { role: 'admin', unit: '平台运营', tokenId: null }, requestId: null, now: new Date() });
const today = () => new Date().toISOString().slice(0, 10);
const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
const nextYear = new Date(Date.now() + 365 * 86_400_000).toISOString();

const get = async (url: string) => {
  const r = await h.app.inject({ url, headers: bank });
  expect(r.statusCode, r.body).toBe(200);
  return r;
};
const waterOf = (report: any) => report.sections.find((s: any) => s.id === 'other').subsections.find((s: any) => s.id === 'water');
const citesWater = (e: any) => [...e.contributions, ...e.knockouts].some((c: any) => c.records.some((r: any) => r.category === 'water'));
const waterRecordIds = async () => new Set((await h.t.db.knex('credit_records').where({ subject_uscc: DEMO_USCC, category: 'water' }).select('id')).map((r) => Number(r.id)));

let before: { evaluation: any; report: any; sha256: string; stored: string };
beforeAll(async () => {
  h = await createApiHarness('api_eval_revocation');
  bank = await h.token('analyst', BANK);
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-eval-revocation-'));
  env = { DATABASE_URL: h.t.url, CREDIT_ETL_DATA_DIR: dir };
  // The platform collects water under the enterprise's authorisation (loaded while it is in force), and
  // holds grants in force for the other gated categories, so that it has an enriched tier of its own.
  waterGrant = (await grant(h.t.db, ctx(), { enterpriseUscc: DEMO_USCC, categories: ['water'], institution: null, grantedAt: hourAgo, expiresAt: nextYear, evidenceKind: '书面' })).id;
  await grant(h.t.db, ctx(), { enterpriseUscc: DEMO_USCC, categories: ['gas', 'rnd', 'agri'], institution: null, grantedAt: hourAgo, expiresAt: nextYear, evidenceKind: '书面' });
  await grant(h.t.db, ctx(), { enterpriseUscc: DEMO_USCC, categories: [...ALL], institution: BANK, grantedAt: hourAgo, expiresAt: nextYear, evidenceKind: '线上' });
  const providers: Record<string, string> = { licensing: '市发展改革委', penalty: '市发展改革委', enforcement: '市发展改革委', water: '市供水单位', gas: '市燃气单位', rnd: '市科技局', agri: '市农业农村局' };
  for (const c of ALL) expect((await ingest(h.t.db, fixture(`${c}.csv`), c, providers[c])).status).toBe('loaded');

  // Before the revocation: water is read, by the bank's evaluation and report and by the platform's stored evaluation.
  const evaluation = (await get(`/enterprises/${DEMO_USCC}/evaluation`)).json();
  const r = await get(`/enterprises/${DEMO_USCC}/report?format=json`);
  const stored = [];
  for await (const e of evaluatePages(h.t.db, [[DEMO_USCC]], { card, asOf: today(), now: new Date(), store: 'test' })) stored.push(e);
  before = { evaluation, report: r.json(), sha256: r.headers['x-report-sha256'] as string, stored: evaluationJson(stored[0].enriched!) };
  expect(evaluation.enriched.coverage.withData).toContain('water');
  expect(waterOf(before.report).status).toBe('shown');
  expect(stored[0].enriched!.coverage.withData).toContain('water');

  await revoke(h.t.db, ctx(), waterGrant);
});
afterAll(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('after the platform authorisation is revoked (API)', () => {
  it('the enriched evaluation reads no water record, says the category was withheld, and the log says so', async () => {
    const r = await get(`/enterprises/${DEMO_USCC}/evaluation`);
    const { enriched, public: pub } = r.json();
    expect(enriched).not.toBeNull();
    expect(enriched.coverage.withData).not.toContain('water');
    expect(enriched.lapsed).toEqual(['water']);
    expect(citesWater(enriched)).toBe(false);
    expect(enriched.inputHash).not.toBe(before.evaluation.enriched.inputHash);
    // The public tier never read water: unchanged.
    expect(pub.inputHash).toBe(before.evaluation.public.inputHash);
    const log = await h.t.db.knex('access_log').where({ action: 'evaluation.read', request_id: r.headers['x-request-id'] }).first();
    expect(log.detail).toMatchObject({ lapsed: ['water'], via: { door: 'api', route: 'GET /enterprises/:uscc/evaluation' } });
  });

  it('the report withholds the water section and leaves water out of its evaluation, though the bank\'s own grant is in force', async () => {
    const r = await get(`/enterprises/${DEMO_USCC}/report?format=json`);
    const c = r.json();
    expect(waterOf(c)).toMatchObject({ status: 'withheld', table: null });
    expect(waterOf(c).noteZh).toContain('已撤销或到期');
    expect(c.evaluations.enriched.coverage.withData).not.toContain('water');
    expect(citesWater(c.evaluations.enriched)).toBe(false);
    const ids = await waterRecordIds();
    expect(JSON.stringify(c)).not.toMatch(new RegExp(`"recordId":(${[...ids].join('|')})\\b`));
    const log = await h.t.db.knex('access_log').where({ action: 'report.issue', request_id: r.headers['x-request-id'] }).first();
    expect(Object.keys(log.detail.lapsed)).toEqual(['water']);
    expect(log.detail.withheld).toContain('water');
  });

  it('a report issued before the revocation, and one issued after, each rebuild to their recorded hash, whatever grants are recorded later', async () => {
    expect(reportHash((await rebuildReport(h.t.db, before.report.reportNo))!.content)).toBe(before.sha256);
    expect((await get(`/reports/${before.report.reportNo}/verify?sha256=${before.sha256}`)).json()).toMatchObject({ genuine: true, unaltered: true, reproducible: true });
    const after = await get(`/enterprises/${DEMO_USCC}/report?format=json`);
    const no = after.headers['x-report-no'] as string;
    // A new platform grant recorded with a start before that report's cut-off: worked out again from the
    // grants, the rule would no longer withhold water at the cut-off; the rebuild applies what the report applied.
    const renewed = await grant(h.t.db, ctx(), { enterpriseUscc: DEMO_USCC, categories: ['water'], institution: null, grantedAt: hourAgo, expiresAt: nextYear, evidenceKind: '书面' });
    expect(waterOf((await get(`/enterprises/${DEMO_USCC}/report?format=json`)).json()).status).toBe('shown');
    const rebuilt = (await rebuildReport(h.t.db, no))!.content;
    expect(waterOf(rebuilt).status).toBe('withheld');
    expect(reportHash(rebuilt)).toBe(after.headers['x-report-sha256']);
    await revoke(h.t.db, ctx(), renewed.id);
  });

  it('the platform\'s evaluation stored before the revocation rebuilds equal, water and all', async () => {
    expect(evaluationJson((await rebuildEvaluation(h.t.db, card, DEMO_USCC, 'enriched', today(), new Date())).evaluation)).toBe(before.stored);
  });
});

describe('the CLI', () => {
  it('report and evaluate as the bank withhold the water records too, and are logged with the OS user and the command', async () => {
    expect((await runCli(['institutions', 'add', BANK], env)).code).toBe(0);
    const out = path.join(dir, 'report.json');
    const rep = await runCli(['report', DEMO_USCC, '--out', out, '--institution', BANK], env);
    expect(rep.code, rep.stderr).toBe(0);
    const c = JSON.parse(readFileSync(out, 'utf8'));
    expect(waterOf(c).status).toBe('withheld');
    expect(c.reader).toEqual({ role: 'analyst', unit: `cli:${OS_USER}@${BANK}`, institution: BANK });
    expect(c.evaluations.enriched.coverage.withData).not.toContain('water');

    const ev = await runCli(['evaluate', '--uscc', DEMO_USCC, '--institution', BANK, '--json'], env);
    expect(ev.code, ev.stderr).toBe(0);
    const e = JSON.parse(ev.stdout.trim());
    expect(e.enriched.coverage.withData).not.toContain('water');
    expect(Object.keys(e.enriched.lapsed)).toEqual(['water']);
    expect(citesWater(e.enriched)).toBe(false);

    // As platform staff (no --institution): under the platform's grants, its water grant revoked, so no enriched tier.
    const staff = await runCli(['evaluate', '--uscc', DEMO_USCC, '--json'], env);
    expect(staff.code, staff.stderr).toBe(0);
    expect(JSON.parse(staff.stdout.trim()).enriched).toBeNull();

    const log = await h.t.db.knex('access_log').whereIn('action', ['report.issue', 'evaluation.run']).where('actor_unit', 'like', 'cli:%').orderBy('seq');
    expect(log.map((x) => [x.action, x.actor_role, x.actor_unit, x.enterprises, x.detail.via])).toEqual([
      ['report.issue', 'analyst', `cli:${OS_USER}@${BANK}`, [DEMO_USCC], { door: 'cli', command: `report ${DEMO_USCC} --out ${out} --institution ${BANK}`, osUser: OS_USER }],
      ['evaluation.run', 'analyst', `cli:${OS_USER}@${BANK}`, [DEMO_USCC], { door: 'cli', command: `evaluate --uscc ${DEMO_USCC} --institution ${BANK} --json`, osUser: OS_USER }],
      ['evaluation.run', 'admin', `cli:${OS_USER}`, [DEMO_USCC], { door: 'cli', command: `evaluate --uscc ${DEMO_USCC} --json`, osUser: OS_USER }],
    ]);
    expect(Object.keys(log[0].detail.lapsed)).toEqual(['water']);
    expect((await runCli(['audit', 'verify'], env)).code).toBe(0);
  });

  it('refuses an unknown institution, and storing as an institution', async () => {
    expect((await runCli(['report', DEMO_USCC, '--out', path.join(dir, 'x.pdf'), '--institution', '无此银行'], env)).code).toBe(2);
    expect((await runCli(['evaluate', '--all', '--store', '--institution', BANK], env)).code).toBe(2);
  });
});
