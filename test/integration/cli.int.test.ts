// The CLI contract other tools rely on: --json shape, exit codes, the rejection report, profiles.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { DEMO_USCC } from '../../testkit/generate-fixtures.ts';
import { cliStore, runCli } from '../helpers/cli.ts';
import { fixture } from '../helpers/ingest.ts';
import { fieldSql } from '../../store/payload.ts';

const store = cliStore('cli', { dataDir: true });

describe('credit-etl ingest --json', () => {
  let batchId: string;

  it('prints one JSON object with reconciled counts and located issues, and exits 0 with rejected rows', async () => {
    const r = await runCli(['ingest', fixture('dirty/penalty.bad-values.csv'), '--category', '行政处罚', '--provider', '市发展改革委', '--json'], store.env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ status: 'loaded', encoding: 'utf-8', read: 15, accepted: 6, rejected: 9, inserted: 6, updated: 0, unchanged: 0, duplicates: 0 });
    for (const k of ['batchId', 'issues', 'warnings']) expect(out).toHaveProperty(k);
    const uscc = out.issues.find((i: any) => i.code === 'E_USCC_CHECK');
    expect(uscc).toMatchObject({ line: 3, column: '统一社会信用代码' });
    expect(uscc.value).toMatch(/^[0-9A-Z]{18}$/);
    expect(uscc.messageZh).toContain('统一社会信用代码');
    expect(uscc.messageEn).toContain('check character');
    for (const i of out.issues) expect(Object.keys(i).sort()).toEqual(['code', 'column', 'line', 'messageEn', 'messageZh', 'value']);
    batchId = out.batchId;
  });

  it('writes the rejection report: BOM, original headers plus 行号 and 错误原因, one row per rejected line', async () => {
    const out = path.join(store.dir, 'rejects.csv');
    const r = await runCli(['rejects', batchId, '--out', out], store.env);
    expect(r.code).toBe(0);
    const bytes = readFileSync(out);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes, { bom: true, relax_column_count: true }) as string[][];
    const source = parse(readFileSync(fixture('dirty/penalty.bad-values.csv')), { bom: true }) as string[][];
    expect(rows[0]).toEqual([...source[0], '行号', '错误原因']);
    expect(rows.slice(1).map((x) => Number(x[source[0].length]))).toEqual([3, 5, 6, 8, 9, 11, 12, 13, 14]);
    const line3 = rows[1];
    expect(line3.slice(0, source[0].length)).toEqual(source[2]);
    expect(line3[source[0].length + 1]).toContain('校验位');
  });

  it('exits 3 when the batch is refused, and says why', async () => {
    const r = await runCli(['ingest', fixture('dirty/penalty.missing-columns.csv'), '--category', 'penalty', '--provider', 'ndrc', '--json'], store.env);
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe('refused');
    expect(out.refusal.code).toBe('R_MISSING_COLUMNS');
    expect(out.refusal.messageZh).toContain('违法事实');
    expect(out.refusal.messageZh).toContain('行政处罚决定日期');
  });

  it('exits 2 for an unknown category or provider and lists the known ones', async () => {
    const cat = await runCli(['ingest', fixture('penalty.csv'), '--category', 'tax', '--provider', 'ndrc'], store.env);
    expect(cat.code).toBe(2);
    expect(cat.stderr).toContain('licensing (行政许可)');
    const prov = await runCli(['ingest', fixture('penalty.csv'), '--category', 'penalty', '--provider', '某某局'], store.env);
    expect(prov.code).toBe(2);
    expect(prov.stderr).toContain('临沂市发展和改革委员会');
    const notTheirs = await runCli(['ingest', fixture('water.csv'), '--category', 'water', '--provider', '市科技局'], store.env);
    expect(notTheirs.code).toBe(2);
  });
});

describe('credit-etl batches and profile', () => {
  it('lists batches and shows an enterprise across categories with provenance', async () => {
    for (const [file, cat, prov] of [['licensing.csv', 'licensing', 'ndrc'], ['water.csv', '水费', 'water-utility']]) {
      expect((await runCli(['ingest', fixture(file), '--category', cat, '--provider', prov, '--json'], store.env)).code).toBe(0);
    }
    const b = await runCli(['batches', '--json'], store.env);
    const batches = JSON.parse(b.stdout);
    expect(batches.map((x: any) => x.file_name)).toEqual(expect.arrayContaining(['licensing.csv', 'water.csv', 'penalty.missing-columns.csv']));
    const p = await runCli(['profile', DEMO_USCC, '--json'], store.env);
    expect(p.code).toBe(0);
    const profile = JSON.parse(p.stdout);
    // As platform staff without the platform's authorisation: licensing shown, its ID fields masked; water withheld.
    expect(profile.categories.map((c: any) => c.category)).toEqual(['licensing', 'penalty', 'enforcement']);
    const licensing = profile.categories[0];
    expect(licensing.maskedFields).toEqual(expect.arrayContaining(['legal_rep_id_number']));
    for (const r of licensing.records) {
      expect(r.provenance.sourceUnit).toBeTruthy();
      expect(r.provenance.batchId).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.provenance.sourceLine).toBeGreaterThan(1);
    }
    expect(profile.withheld.map((w: any) => w.category)).toContain('water');
    expect(profile.indicators.water).toBeUndefined();
    const ids = (await store.t.db.knex('credit_records').where({ subject_uscc: DEMO_USCC, category: 'licensing' }).select(store.t.db.knex.raw(`${fieldSql('licensing', 'legal_rep_id_number')} AS id`)))
      .map((r: { id: string | null }) => r.id).filter(Boolean);
    expect(ids.length).toBeGreaterThan(0);
    const human = await runCli(['profile', DEMO_USCC], store.env);
    for (const out of [p.stdout, human.stdout]) for (const id of ids) expect(out).not.toContain(id);
  });

  it('logs every CLI read of enterprise data with the operating-system user and the command', async () => {
    expect((await runCli(['profile', DEMO_USCC, '--institution', '临沂某银行'], store.env)).code).toBe(2);
    expect((await runCli(['institutions', 'add', '临沂某银行'], store.env)).code).toBe(0);
    expect((await runCli(['profile', DEMO_USCC.toLowerCase(), '--institution', '临沂某银行', '--json'], store.env)).code).toBe(0);
    const log = await store.t.db.knex('access_log').where('action', 'enterprise.read').orderBy('seq');
    expect(log.map((e) => [e.actor_role, e.actor_unit, e.enterprises, e.detail.via])).toEqual([
      ['admin', `cli:${userInfo().username}`, [DEMO_USCC], { door: 'cli', command: `profile ${DEMO_USCC}`, osUser: userInfo().username }],
      ['admin', `cli:${userInfo().username}`, [DEMO_USCC], { door: 'cli', command: `profile ${DEMO_USCC}`, osUser: userInfo().username }],
      ['analyst', `cli:${userInfo().username}@临沂某银行`, [DEMO_USCC],
        { door: 'cli', command: `profile ${DEMO_USCC.toLowerCase()} --institution 临沂某银行`, osUser: userInfo().username }],
    ]);
    expect(log[0].detail.masked.licensing).toContain('legal_rep_id_number');
    const rejects = await store.t.db.knex('access_log').where('action', 'batch.rejects');
    expect(rejects.map((e) => [e.actor_unit, e.detail.via.command.split(' ')[0]])).toEqual([[`cli:${userInfo().username}`, 'rejects']]);
    const verify = await runCli(['audit', 'verify'], store.env);
    expect(verify.code).toBe(0);
  });
});
