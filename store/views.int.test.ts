// The schema-derived views on real PostgreSQL: rebuilt by the views migration with its fingerprint
// recorded, and filtered by enterprise through the index rather than a scan of the category.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createDatabase, dropDatabase } from './databases.ts';
import { openDb } from './db.ts';
import { ADMIN_URL, createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { MIGRATIONS, migrateLatest } from './migrate.ts';
import { viewsFingerprint } from './views.ts';
import { fromPayload, payloadSql, toPayload } from './payload.ts';
import { accountIndicators, shanghaiToday, type Bill } from '../lib/utility-indicators.ts';

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
        ${payloadSql('water', { account_no: `'A' || (i % 7)`, billing_month: `'2024-0' || (1 + i % 9)`, usage: `'1'`, amount_due: `'1'`, amount_paid: `'1'` })},
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

describe('v_water_indicators', () => {
  it('agrees with the pure rule (lib/utility-indicators.ts) on every account: averages, months billed, balance, in_arrears', async () => {
    const today = shanghaiToday();
    const monthsBack = (n: number) => {
      const d = new Date(`${today.slice(0, 7)}-01T00:00:00Z`);
      d.setUTCMonth(d.getUTCMonth() - n);
      return d.toISOString().slice(0, 7);
    };
    // 40 accounts with gaps, stale ones, catch-up and partial payments and a bill of the current month, from a fixed sequence
    let x = 7;
    const next = (n: number) => (x = (x * 48271) % 2147483647) % n;
    const bills: (Bill & { uscc: string })[] = [];
    for (let a = 0; a < 40; a++) {
      const start = next(14);
      for (let back = start; back >= 0; back--) {
        if (next(5) === 0) continue;
        const due = (next(30000) / 100).toFixed(2);
        const paid = next(4) === 0 ? '0' : next(4) === 0 ? (Number(due) * 2).toFixed(2) : due;
        bills.push({ uscc: `CMP${a % 9}`, accountNo: `A${a}`, month: monthsBack(back + (a % 7 === 0 ? 8 : 0)), usage: (next(100000) / 1000).toFixed(3), amountDue: due, amountPaid: paid });
      }
    }
    await t.db.knex('credit_records').insert(bills.map((b, i) => ({
      category: 'water', natural_key: `cmp|${b.accountNo}|${b.month}`, subject_uscc: b.uscc, subject_name: 'N', event_date: `${b.month}-01`,
      fields: JSON.stringify(toPayload('water', {
        subject_uscc: b.uscc, account_no: b.accountNo, billing_month: b.month, usage: b.usage, amount_due: b.amountDue, amount_paid: b.amountPaid,
      })),
      content_hash: 'h', version: 1, source_unit: 's', delivered_by: 'd', batch_id: '00000000-0000-0000-0000-000000000000', source_line: i + 2,
      received_at: new Date(), loaded_at: new Date(), schema_version: '2.0.0',
    })));
    const rows = await t.db.knex('v_water_indicators').where('account_no', 'like', 'A%').whereIn('subject_uscc', [...new Set(bills.map((b) => b.uscc))]);
    expect(rows.length).toBe(new Set(bills.map((b) => b.accountNo)).size);
    for (const r of rows) {
      const a = accountIndicators(bills.filter((b) => b.accountNo === r.account_no), today, r.account_no);
      const num = (v: string | null) => (v === null ? null : Number(v));
      expect({
        avg3m: num(r.avg_usage_3m), avg6m: num(r.avg_usage_6m), billed3: Number(r.billed_months_3m), billed6: Number(r.billed_months_6m),
        stale: r.no_recent_data, balance: Number(r.balance).toFixed(2), inArrears: r.in_arrears, latest: r.latest_month,
      }, r.account_no).toEqual({
        avg3m: a.avg3m.average, avg6m: a.avg6m.average, billed3: a.avg3m.billedMonths, billed6: a.avg6m.billedMonths,
        stale: a.noRecentData, balance: a.balance, inArrears: a.inArrears, latest: a.latestMonth,
      });
    }
  });
});

describe('an existing database', () => {
  it('gets the annex changes from migrate: nullable subject, agri records re-keyed on 名称 + 所在地, views rebuilt', async () => {
    const name = `credit_etl_views_old_${process.pid}_${Date.now()}`;
    const db = await openDb({ databaseUrl: await createDatabase(ADMIN_URL, name), dataDir: '' });
    try {
      // the database as the release before these migrations left it
      const cut = MIGRATIONS.findIndex(([n]) => n.startsWith('20261205001'));
      const before = MIGRATIONS.slice(0, cut);
      const source: Knex.MigrationSource<(typeof MIGRATIONS)[number]> = {
        getMigrations: async () => [...before], getMigrationName: ([n]) => n, getMigration: async ([, m]) => m,
      };
      await db.knex.migrate.latest({ migrationSource: source });
      await db.knex('credit_records').insert({
        category: 'agri', natural_key: '91371326765330802K|农村土地经营权|鲁（2024）平邑县农村土地经营权第0000001号', subject_uscc: '91371326765330802K',
        subject_name: '平邑县嘉禾食品有限公司', fields: { subject_name: '平邑县嘉禾食品有限公司', subject_uscc: '91371326765330802K', location: '临沂市平邑县卞桥镇',
          right_type: '农村土地经营权', right_cert_no: '鲁（2024）平邑县农村土地经营权第0000001号' },
        content_hash: 'h', version: 1, source_unit: 's', delivered_by: 'd', batch_id: '00000000-0000-0000-0000-000000000000', source_line: 2,
        received_at: new Date(), loaded_at: new Date(), schema_version: '1.0.0',
      });

      expect(await migrateLatest(db.knex)).toEqual(MIGRATIONS.slice(cut).map(([n]) => n));
      const rec = await db.knex('credit_records').where({ category: 'agri' }).first();
      expect(rec.natural_key).toBe('平邑县嘉禾食品有限公司|371326|农村土地经营权|鲁（2024）平邑县农村土地经营权第0000001号');
      // the fields stored as an object before are in their slots now
      expect(Array.isArray(rec.fields)).toBe(true);
      expect(fromPayload('agri', rec.fields)).toMatchObject({ subject_uscc: '91371326765330802K', location: '临沂市平邑县卞桥镇',
        right_type: '农村土地经营权', right_cert_no: '鲁（2024）平邑县农村土地经营权第0000001号' });
      const v = await db.knex('v_agri').where({ id: rec.id }).first();
      expect(v).toMatchObject({ location: '临沂市平邑县卞桥镇', right_cert_no: '鲁（2024）平邑县农村土地经营权第0000001号' });
      const cols = await db.knex.raw(`SELECT column_name FROM information_schema.columns WHERE table_name = 'v_agri'`);
      expect(cols.rows.map((r: { column_name: string }) => r.column_name)).toContain('land_right_info');
      const nullable = await db.knex.raw(`SELECT is_nullable FROM information_schema.columns WHERE table_name = 'credit_records' AND column_name = 'subject_uscc'`);
      expect(nullable.rows[0].is_nullable).toBe('YES');
      expect((await db.knex('schema_view_builds').orderBy('migration').pluck('fingerprint')).at(-1)).toBe(viewsFingerprint());
    } finally {
      await db.close();
      await dropDatabase(ADMIN_URL, name);
    }
  });
});
