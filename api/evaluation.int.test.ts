// Evaluation and credit report over real PostgreSQL and the service: tiers under authorisation,
// every cited record one the caller may read, every read in the access log, an evaluation rebuilt as
// of a past date equal to the one stored then, reports verified, rebuilt and caught when edited, and
// page 1 of the PDF rendered to an image that is not blank.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USCC } from '../testkit/generate-fixtures.ts';
import { shippedCard } from '../evaluation/card.ts';
import { evaluationJson } from '../evaluation/engine.ts';
import { reportHash } from '../evaluation/report.ts';
import { rebuildEvaluation } from '../evaluation/read.ts';
import { evaluatePages } from '../jobs/evaluate.ts';
import { grantAuthorisation } from '../store/authorisations.ts';
import { registerInstitution } from '../store/institutions.ts';
import { createApiHarness, type ApiHarness } from '../test/helpers/api.ts';
import { fixture, ingest } from '../test/helpers/ingest.ts';
import { canonicalJson } from '../store/access-log.ts';
import { rebuildReport } from './credit-report.ts';

// The fixtures are as of 2025-06-30; they are made to look loaded the day before the clock, so the
// clock (not the wall time of the run) decides what an evaluation reads.
const DAY1 = new Date('2025-07-01T08:00:00.000Z');
const BANK = '临沂某商业银行';
const GATED = ['water', 'gas', 'rnd', 'agri'];
const card = shippedCard('basic-v1');

let clock = DAY1;
let h: ApiHarness;
let bank: { authorization: string };
let dir: string;
beforeAll(async () => {
  h = await createApiHarness('api_evaluation', { now: () => clock });
  const deliveries: [string, string][] = [['licensing', '市发展改革委'], ['penalty', '市发展改革委'], ['enforcement', '市发展改革委'],
    ['water', '市供水单位'], ['gas', '市燃气单位'], ['rnd', '市科技局'], ['agri', '市农业农村局']];
  for (const [category, provider] of deliveries) expect((await ingest(h.t.db, fixture(`${category}.csv`), category, provider)).status).toBe('loaded');
  await h.t.db.knex.raw(`UPDATE credit_records SET loaded_at = '2025-06-30T12:00:00Z', received_at = '2025-06-30T11:00:00Z'`);
  await h.t.db.knex.raw(`UPDATE batches SET finished_at = '2025-06-30T12:00:00Z', received_at = '2025-06-30T11:00:00Z'`);
  bank = await h.token('analyst', BANK);
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-eval-'));
});
afterAll(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const get = async (url: string, auth = bank) => {
  const r = await h.app.inject({ url, headers: auth });
  expect(r.statusCode, r.body).toBe(200);
  return r;
};

/** Every record an evaluation cites must be one the same reader's profile shows. */
async function expectCitedReadable(evaluation: any, auth: { authorization: string }) {
  const profile = (await get(`/enterprises/${DEMO_USCC}`, auth)).json();
  const shown = new Set(profile.categories.flatMap((c: any) => c.records.map((r: any) => `${c.category}|${r.naturalKey}`)));
  const cited = [...evaluation.contributions, ...evaluation.knockouts].flatMap((c: any) => c.records);
  expect(evaluation.contributions.length).toBeGreaterThan(0);
  for (const c of [...evaluation.contributions, ...evaluation.knockouts]) expect(c.records.length).toBeGreaterThan(0);
  const rows = await h.t.db.knex('credit_records').whereIn('id', cited.map((r: any) => r.recordId)).select('id', 'category', 'natural_key');
  expect(rows).toHaveLength(new Set(cited.map((r: any) => r.recordId)).size);
  for (const r of rows) expect(shown.has(`${r.category}|${r.natural_key}`), `${r.category} ${r.natural_key}`).toBe(true);
}

describe('GET /enterprises/:uscc/evaluation', () => {
  it('without an authorisation: the public tier only, the enriched one withheld with the reason; cited records are all readable; the read is logged', async () => {
    const r = await get(`/enterprises/${DEMO_USCC}/evaluation`);
    const body = r.json();
    expect(body.card).toEqual({ id: 'basic-v1', version: card.version });
    expect(body.asOf).toBe('2025-07-01');
    expect(body.public.coverage.categories).toEqual(['licensing', 'penalty', 'enforcement']);
    expect(['A', 'B', 'C', 'D']).toContain(body.public.grade);
    expect(body.public.dataCutoff).toBe(DAY1.toISOString());
    expect(body.enriched).toBeNull();
    expect(body.enrichedWithheld.missingAuthorisation).toEqual(GATED);
    // the demo enterprise's penalty in publicity (ends 2025-09-22) is an adverse reason; the one past it (2022-09-29) is not read
    expect(body.public.topAdverseReasons.map((a: any) => a.code)).toContain('R201');
    await expectCitedReadable(body.public, bank);
    const log = await h.t.db.knex('access_log').where({ action: 'evaluation.read', request_id: r.headers['x-request-id'] }).first();
    expect(log).toMatchObject({ actor_unit: BANK, enterprises: [DEMO_USCC] });
    expect(log.detail).toMatchObject({ tiers: ['public'], grades: { public: body.public.grade, enriched: null }, inputHashes: { public: body.public.inputHash } });
  });

  it('with the authorisation in force for the gated categories: the enriched tier too, citing only records the bank may now read', async () => {
    await grantAuthorisation(h.t.db, { enterpriseUscc: DEMO_USCC, categories: ['licensing', 'penalty', 'enforcement', ...GATED] as any, institution: (await registerInstitution(h.t.db, BANK)).institution,
      grantedAt: '2025-06-01T00:00:00Z', expiresAt: '2026-06-01T00:00:00Z', evidenceKind: '线上', recordedBy: 'test' });
    const body = (await get(`/enterprises/${DEMO_USCC}/evaluation`)).json();
    expect(body.enriched.coverage.categories).toEqual(['licensing', 'penalty', 'enforcement', ...GATED]);
    expect(body.enriched.contributions.some((c: any) => c.records.some((r: any) => GATED.includes(r.category)))).toBe(true);
    await expectCitedReadable(body.enriched, bank);
    // the public tier is what it was without the grant
    expect(body.public.inputHash).toBe((await h.t.db.knex('access_log').where({ action: 'evaluation.read' }).orderBy('seq').first()).detail.inputHashes.public);
  });

  it('refuses a date in the future and an unknown card', async () => {
    expect((await h.app.inject({ url: `/enterprises/${DEMO_USCC}/evaluation?asOf=2025-07-02`, headers: bank })).statusCode).toBe(400);
    expect((await h.app.inject({ url: `/enterprises/${DEMO_USCC}/evaluation?card=basic-v9`, headers: bank })).statusCode).toBe(400);
  });
});

describe('as of a past date', () => {
  it('an evaluation rebuilt later from the record history equals, byte for byte, the one stored then', async () => {
    await grantAuthorisation(h.t.db, { enterpriseUscc: DEMO_USCC, categories: GATED as any, institution: null,
      grantedAt: '2025-06-01T00:00:00Z', expiresAt: '2026-06-01T00:00:00Z', evidenceKind: '书面', recordedBy: 'test' });
    const stored = [];
    for await (const e of evaluatePages(h.t.db, [[DEMO_USCC]], { card, asOf: '2025-07-01', now: DAY1, store: 'test' })) stored.push(e);
    expect(stored[0].enriched).not.toBeNull();

    // A later delivery revokes a licence (a new version of the record) and adds a penalty.
    const lic = readFileSync(fixture('licensing.csv'), 'utf8').split(/\r?\n/);
    const changed = lic.find((l) => l.includes(DEMO_USCC) && l.includes('取水许可'))!.replace(',有效,', ',撤销,');
    writeFileSync(path.join(dir, 'lic.csv'), `${lic[0]}\r\n${changed}\r\n`);
    const pen = readFileSync(fixture('penalty.csv'), 'utf8').split(/\r?\n/);
    const added = pen.find((l) => l.includes(DEMO_USCC) && l.includes('2025-09-22'))!.replace(/,([^,]*?号),/, ',临新罚〔2025〕第9999号,');
    writeFileSync(path.join(dir, 'pen.csv'), `${pen[0]}\r\n${added}\r\n`);
    expect((await ingest(h.t.db, path.join(dir, 'lic.csv'), 'licensing', '市发展改革委')).updated).toBe(1);
    expect((await ingest(h.t.db, path.join(dir, 'pen.csv'), 'penalty', '市发展改革委')).inserted).toBe(1);
    expect((await h.t.db.knex('credit_record_versions').where({ subject_uscc: DEMO_USCC })).length).toBe(1);

    const later = new Date();
    for (const tier of ['public', 'enriched'] as const) {
      const { evaluation, stored: body } = await rebuildEvaluation(h.t.db, card, DEMO_USCC, tier, '2025-07-01', later);
      expect(body).not.toBeNull();
      expect(evaluationJson(evaluation)).toBe(body);
      expect(evaluationJson(evaluation)).toBe(evaluationJson(stored[0][tier]!));
    }
    // read today, the new delivery counts
    const today = later.toISOString().slice(0, 10);
    const now = [];
    for await (const e of evaluatePages(h.t.db, [[DEMO_USCC]], { card, asOf: today, now: later })) now.push(e);
    expect(now[0].public.inputHash).not.toBe(stored[0].public.inputHash);

    // the service answers the past date with the stored evaluation's inputs
    clock = new Date('2025-07-05T08:00:00.000Z');
    const body = (await get(`/enterprises/${DEMO_USCC}/evaluation?asOf=2025-07-01`)).json();
    expect(body.public.inputHash).toBe(stored[0].public.inputHash);
    expect(body.public.dataCutoff).toBe(DAY1.toISOString());
    clock = DAY1;
  });
});

describe('the credit report', () => {
  let reportNo: string;
  let sha: string;
  let json: any;

  it('JSON: sections in the order of the 2022 standard, a cut-off per category, provenance footnotes, the evaluation with its card version; its hash in the access log', async () => {
    const r = await get(`/enterprises/${DEMO_USCC}/report?format=json`);
    json = r.json();
    reportNo = json.reportNo;
    sha = json.verification.sha256;
    expect(reportNo).toMatch(/^XYBG-20250701-[0-9A-F]{10}$/);
    expect(r.headers['x-report-sha256']).toBe(sha);
    expect(json.sections.map((s: any) => s.titleZh)).toEqual(['一、报告说明', '二、基本信息', '三、信息概览', '四、行政管理信息', '五、信用评价信息', '六、其他信息（经企业授权）']);
    const admin = json.sections.find((s: any) => s.id === 'administrative');
    expect(admin.subsections.map((s: any) => s.cutoff)).toEqual(Array(3).fill('2025-06-30 20:00:00（北京时间）'));
    expect(admin.subsections[1].table.rows).toHaveLength(1); // only the penalty in publicity
    expect(json.footnotes.length).toBeGreaterThan(0);
    expect(admin.subsections[0].table.rows[0].source).toMatch(/^\[\d+\]第\d+行$/);
    expect(json.evaluations.public.card).toEqual({ id: 'basic-v1', version: card.version });
    const { verification, ...content } = json;
    expect(reportHash(content)).toBe(sha);
    const log = await h.t.db.knex('access_log').where({ action: 'report.issue' }).first();
    expect(log.detail).toMatchObject({ reportNo, sha256: sha, dataCutoff: DAY1.toISOString(), reader: { institution: BANK } });
  });

  it('rebuilt from its access-log entry at the same cut-off it has the same hash, even after new deliveries', async () => {
    const rebuilt = await rebuildReport(h.t.db, reportNo);
    expect(reportHash(rebuilt!.content)).toBe(sha);
    expect(canonicalJson(rebuilt!.content)).toBe(canonicalJson((({ verification, ...c }) => c)(json)));
  });

  it('verify: genuine and unaltered with its hash; an edited report fails; an unknown number is not genuine', async () => {
    const ok = (await get(`/reports/${reportNo}/verify?sha256=${sha}`)).json();
    expect(ok).toMatchObject({ genuine: true, unaltered: true, reproducible: true, enterprise: DEMO_USCC });
    const { verification, ...content } = json;
    const edited = structuredClone(content);
    edited.evaluations.public.grade = 'A';
    const bad = (await get(`/reports/${reportNo}/verify?sha256=${reportHash(edited)}`)).json();
    expect(bad).toMatchObject({ genuine: true, unaltered: false });
    expect(bad.messageZh).toContain('已被改动');
    expect((await get(`/reports/XYBG-20250701-0000000000/verify`)).json()).toMatchObject({ genuine: false });
    expect(await h.t.db.knex('access_log').where({ action: 'report.verify' })).toHaveLength(3);
  });

  it('without the authorisation, a reader sees the gated sections withheld and the ID numbers masked', async () => {
    const other = await h.token('analyst', '临沂另一农商银行');
    const c = (await get(`/enterprises/${DEMO_USCC}/report`, other)).json();
    const subs = c.sections.flatMap((s: any) => s.subsections ?? []);
    expect(subs.filter((s: any) => s.status === 'withheld').map((s: any) => s.id)).toEqual(GATED);
    expect(subs.find((s: any) => s.id === 'licensing').masked).toEqual(['legal_rep_id_number']);
    expect(JSON.stringify(c)).not.toContain('371326198610310577');
    expect(c.evaluations.enriched).toBeNull();
  });

  it('PDF: Chinese text, and page 1 rendered to an image is not blank', async () => {
    const r = await get(`/enterprises/${DEMO_USCC}/report?format=pdf`);
    expect(r.headers['content-type']).toBe('application/pdf');
    const pdf = path.join(dir, 'report.pdf');
    writeFileSync(pdf, r.rawPayload);
    // To look at the PDF: CREDIT_ETL_KEEP_REPORT=/tmp/r.pdf npx vitest run api/evaluation.int.test.ts
    if (process.env.CREDIT_ETL_KEEP_REPORT) writeFileSync(process.env.CREDIT_ETL_KEEP_REPORT, r.rawPayload);
    const text = execFileSync('pdftotext', ['-f', '1', '-l', '1', pdf, '-'], { encoding: 'utf8' });
    expect(text).toContain('公共信用信息报告');
    expect(text).toContain('平邑县嘉禾食品有限公司');
    execFileSync('pdftoppm', ['-f', '1', '-l', '1', '-singlefile', '-r', '60', '-gray', pdf, path.join(dir, 'page')]);
    const pgm = readFileSync(path.join(dir, 'page.pgm'));
    // P5 header: magic, width, height, maxval, each followed by whitespace; then one byte a pixel.
    const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 40).toString('latin1'))!;
    const pixels = pgm.subarray(header[0].length);
    expect(pixels.length).toBe(Number(header[1]) * Number(header[2]));
    const dark = pixels.filter((p) => p < 128).length;
    expect(dark / pixels.length).toBeGreaterThan(0.01);
    expect(dark / pixels.length).toBeLessThan(0.5);
    const html = await get(`/enterprises/${DEMO_USCC}/report?format=html`);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain('<h2>四、行政管理信息</h2>');
  });
});
