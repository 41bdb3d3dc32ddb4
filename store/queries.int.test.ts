// enterpriseReads answers a profile's four questions in one statement. Each answer must be what the
// store's own functions give when asked alone (authorisationsInForce, lapsedByEnterprise), and the
// records and their earlier versions what was delivered, in order, on a store built by real deliveries.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { ingest } from '../test/helpers/ingest.ts';
import { changed, penaltyHeader, row, toCsv } from '../test/helpers/penalty-rows.ts';
import { authorisationsInForce, grantAuthorisation, lapsedByEnterprise, revokeAuthorisation } from './authorisations.ts';
import { registerInstitution } from './institutions.ts';
import { enterpriseReads } from './queries.ts';

let t: TestDb;
let dir: string;
beforeAll(async () => {
  t = await createTestDb('reads');
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-reads-'));
});
afterAll(async () => {
  await t?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const col = (name: string) => penaltyHeader.indexOf(name);
const deliver = async (name: string, rows: string[][]) => {
  const file = path.join(dir, `${name}.csv`);
  writeFileSync(file, toCsv(rows));
  return ingest(t.db, file, 'penalty', 'ndrc');
};

it('reads records, earlier versions, grants in force and lapsed collections as the separate questions do', async () => {
  // fixture rows 0 and 1 are two penalties of one enterprise; row 0 is then delivered changed
  const [a, b] = [row(0), row(1)];
  const uscc = a[col('统一社会信用代码')];
  expect(b[col('统一社会信用代码')]).toBe(uscc);
  expect((await deliver('first', [a, b])).inserted).toBe(2);
  expect((await deliver('second', [changed(a, '更正'), b])).updated).toBe(1);

  const bank = (await registerInstitution(t.db, '读取测试银行')).institution;
  const grant = (g: { categories: ('penalty' | 'water' | 'gas')[]; institution: typeof bank | null; from: string; to: string }) => grantAuthorisation(t.db, {
    enterpriseUscc: uscc, categories: g.categories, institution: g.institution, grantedAt: g.from, expiresAt: g.to, evidenceKind: '书面', recordedBy: 'test',
  });
  const longer = await grant({ categories: ['penalty', 'water'], institution: bank, from: '2026-01-01T00:00:00Z', to: '2027-06-01T00:00:00Z' });
  const shorter = await grant({ categories: ['gas'], institution: bank, from: '2026-02-01T00:00:00Z', to: '2027-01-01T00:00:00Z' });
  await grant({ categories: ['gas'], institution: bank, from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }); // expired
  // the platform's own collection of water: granted, then revoked, so lapsed since its start
  const platform = await grant({ categories: ['water'], institution: null, from: '2026-03-01T00:00:00Z', to: '2028-01-01T00:00:00Z' });
  await revokeAuthorisation(t.db, platform.id, '2026-04-01T00:00:00Z');
  const at = '2026-08-01T00:00:00.000Z';

  const reads = await enterpriseReads(t.db, { uscc, institutionId: bank.id, at });
  // in order of event date (行政处罚决定日期): row 0's decision is of 2021, row 1's of 2024
  expect(a[col('行政处罚决定日期')] < b[col('行政处罚决定日期')]).toBe(true);
  expect(reads.records.map((r) => [r.category, r.fields.decision_no, r.version, r.history.length])).toEqual([
    ['penalty', a[col('行政处罚决定文书号')], 2, 1],
    ['penalty', b[col('行政处罚决定文书号')], 1, 0],
  ]);
  const updated = reads.records.find((r) => r.version === 2)!;
  expect(updated.history).toHaveLength(1);
  expect(updated.history[0]).toMatchObject({ version: 1, natural_key: updated.natural_key, fields: { content: a[col('行政处罚内容')] } });
  expect(updated.fields.content).toBe(`${a[col('行政处罚内容')]}（更正）`);
  expect((updated.history[0] as { superseded_at?: string }).superseded_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(reads.grants.map((g) => g.id)).toEqual([longer.id, shorter.id]);
  expect(reads.grants).toEqual(await authorisationsInForce(t.db, { enterpriseUscc: uscc, institutionId: bank.id, at }));
  expect(reads.lapsed).toEqual({ water: '2026-03-01T00:00:00.000Z' });
  expect(reads.lapsed).toEqual((await lapsedByEnterprise(t.db, [uscc], at)).get(uscc));

  // the platform's own staff read under the platform's grants: none in force
  const staff = await enterpriseReads(t.db, { uscc, institutionId: null, at });
  expect(staff.grants).toEqual([]);
  expect(staff.records).toEqual(reads.records);
  // an enterprise the store does not hold
  expect(await enterpriseReads(t.db, { uscc: '91371300MA3C000000', institutionId: bank.id, at })).toEqual({ records: [], grants: [], lapsed: {} });
});

// A prepared statement is planned afresh on each call for its first five; after that PostgreSQL keeps
// one generic plan only if that plan does not look dearer than planning anew. The profile's statement
// must pass that test, or every profile pays for planning (bench/RESULTS.md, issue 15's fourth pass).
it('is planned once per connection: PostgreSQL settles on a generic plan for the profile statement', async () => {
  const bank = (await registerInstitution(t.db, '计划测试银行')).institution;
  const at = '2026-08-01T00:00:00.000Z';
  // enough grants that a plan's estimates depend on how each enterprise is asked for
  await t.db.knex.raw(`INSERT INTO enterprise_authorisations (id, enterprise_uscc, categories, institution, institution_id, evidence_kind, recorded_by, granted_at, expires_at)
    SELECT gen_random_uuid(), 'P' || lpad(g::text, 17, '0'), ARRAY['water', 'gas'], CASE WHEN g % 2 = 0 THEN NULL ELSE ? END, CASE WHEN g % 2 = 0 THEN NULL ELSE ?::uuid END,
      '线上', 'test', '2026-01-01', '2027-01-01' FROM generate_series(1, 50000) g`, [bank.name, bank.id]);
  await t.db.knex.raw('ANALYZE');
  const plans = await t.db.knex.transaction(async (trx) => {
    const onOneConnection = { ...t.db, knex: trx as unknown as typeof t.db.knex };
    for (let i = 0; i < 12; i++) await enterpriseReads(onOneConnection, { uscc: `91371300MA3C${String(i).padStart(6, '0')}`, institutionId: bank.id, at });
    return (await trx.raw(`SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'credit-etl.enterprise-reads.institution'`)).rows;
  });
  // the connection may have run the statement before (the test above): the counts are its whole life
  expect(plans).toHaveLength(1);
  expect(plans[0].custom_plans).toBe(5);
  expect(plans[0].generic_plans).toBeGreaterThanOrEqual(7);
});
