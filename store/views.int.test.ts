// The schema-derived views on real PostgreSQL: rebuilt by the views migration with its fingerprint
// recorded, and filtered by enterprise through the index rather than a scan of the category.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { MIGRATIONS } from './migrate.ts';
import { viewsFingerprint } from './views.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('views');
});
afterAll(async () => {
  await t?.drop();
});

const plan = async (sql: string, bindings: string[]) =>
  ((await t.db.knex.raw(`EXPLAIN ${sql}`, bindings)).rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');

describe('schema-derived views', () => {
  it('the database records the fingerprint of the views it was built with', async () => {
    const builds = await t.db.knex('schema_view_builds').select('migration', 'fingerprint');
    const last = MIGRATIONS.filter(([, m]) => m.viewsFingerprint).at(-1)!;
    expect(builds).toContainEqual({ migration: last[0], fingerprint: viewsFingerprint() });
    // and the views carry the fields that migration added
    const cols = await t.db.knex.raw(`SELECT column_name FROM information_schema.columns WHERE table_name = 'v_agri'`);
    expect(cols.rows.map((r: { column_name: string }) => r.column_name)).toEqual(expect.arrayContaining(['land_right_info', 'housing_right_info', 'original_values']));
  });

  it('a per-enterprise filter uses the index at 50k rows, on the category views and the indicators', async () => {
    // 50k records over 5k enterprises and four categories, inserted by the database itself
    await t.db.knex.raw(`
      INSERT INTO credit_records (category, natural_key, subject_uscc, subject_name, event_date, fields, content_hash, version,
        source_unit, delivered_by, batch_id, source_line, received_at, loaded_at, schema_version)
      SELECT (ARRAY['penalty','licensing','water','gas'])[1 + i % 4], 'k' || i, 'U' || (i % 5000), 'N', NULL,
        jsonb_build_object('account_no', 'A' || (i % 7), 'billing_month', '2024-0' || (1 + i % 9), 'usage', '1', 'amount_due', '1', 'amount_paid', '1'),
        'h', 1, 's', 'd', '00000000-0000-0000-0000-000000000000', i, now(), now(), '1'
      FROM generate_series(1, 50000) i`);
    await t.db.knex.raw('ANALYZE credit_records');
    for (const view of ['v_penalty', 'v_licensing', 'v_water', 'v_water_indicators', 'v_gas_indicators']) {
      const p = await plan(`SELECT * FROM ${view} WHERE subject_uscc = ?`, ['U42']);
      expect(p, view).not.toMatch(/Seq Scan on credit_records/);
      expect(p, view).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
    }
  });
});
