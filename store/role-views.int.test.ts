// The database's own door: an analyst's or a BI tool's login, member of credit_etl_analyst or
// credit_etl_reporting, connected with psql, reads the public categories masked and nothing else.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fixture, ingest } from '../test/helpers/ingest.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { DB_ROLES } from './role-views.ts';
import { rebuildSchemaViews } from './views.ts';
import { fieldSql } from './payload.ts';

let t: TestDb;
const logins: string[] = [];
beforeAll(async () => {
  t = await createTestDb('role_views');
  for (const [file, cat, prov] of [['licensing.csv', 'licensing', 'ndrc'], ['penalty.csv', 'penalty', 'ndrc'], ['water.csv', 'water', 'water-utility']]) {
    expect((await ingest(t.db, fixture(file), cat, prov)).status).toBe('loaded');
  }
});
afterAll(async () => {
  await t?.drop();
  for (const l of logins) await t.db.knex.raw(`DROP ROLE IF EXISTS ${l}`).catch(() => undefined);
});

/** A login for a person or a tool, made a member of one of the group roles, as the DBA would (docs/service.md). */
async function login(group: string): Promise<string> {
  const name = `credit_etl_test_${randomBytes(4).toString('hex')}`;
  logins.push(name);
  await t.db.knex.raw(`CREATE ROLE ${name} LOGIN IN ROLE ${group}`);
  return name;
}
const psql = async (user: string, sql: string) => {
  const url = new URL(t.url);
  url.username = user;
  try {
    const { stdout } = await promisify(execFile)('psql', [url.toString(), '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
    return { ok: true, out: stdout.trim() };
  } catch (e) {
    return { ok: false, out: String((e as { stderr?: string }).stderr) };
  }
};

it('lets the analyst role read no ID number and no water record, whatever it tries', async () => {
  const analyst = await login(DB_ROLES.analyst);
  const ids: string[] = (await t.db.knex('credit_records').where({ category: 'licensing' }).select(t.db.knex.raw(`${fieldSql('licensing', 'legal_rep_id_number')} AS id`)))
    .map((r: { id: string | null }) => r.id).filter((x: string | null): x is string => Boolean(x));
  expect(ids.length).toBeGreaterThan(0);

  const shown = await psql(analyst, 'SELECT legal_rep_id_number FROM credit_shared.licensing WHERE legal_rep_id_number IS NOT NULL');
  expect(shown.ok).toBe(true);
  const values = shown.out.split('\n');
  expect(values).toHaveLength(ids.length);
  for (const v of values) expect(v).toMatch(/^.{4}\*+.{4}$/);
  const everything = await psql(analyst, 'SELECT * FROM credit_shared.licensing');
  for (const id of ids) expect(everything.out).not.toContain(id);

  for (const sql of ['SELECT * FROM credit_records', 'SELECT * FROM credit_record_versions', 'SELECT * FROM v_water', 'SELECT * FROM v_licensing',
    'SELECT * FROM v_water_indicators', 'SELECT * FROM rejected_rows', 'SELECT * FROM access_log', 'SELECT * FROM api_tokens', 'SELECT * FROM credit_shared.water']) {
    const r = await psql(analyst, sql);
    expect(r, sql).toMatchObject({ ok: false });
    expect(r.out, sql).toMatch(/permission denied|does not exist/);
  }
});

it('gives the reporting role the same views under the same rules, penalties past their 公示截止期 left out', async () => {
  const bi = await login(DB_ROLES.reporting);
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const current = await t.db.knex('credit_records').where({ category: 'penalty' })
    .whereRaw(`NOT COALESCE(${fieldSql('penalty', 'publicity_end')} < ?, false)`, [today]).count({ n: '*' });
  const all = await t.db.knex('credit_records').where({ category: 'penalty' }).count({ n: '*' });
  expect(Number(current[0].n)).toBeLessThan(Number(all[0].n));
  expect((await psql(bi, 'SELECT count(*) FROM credit_shared.penalty')).out).toBe(String(current[0].n));
  expect((await psql(bi, 'SELECT * FROM credit_records')).ok).toBe(false);
  const tables = await psql(bi, "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'credit_shared'");
  expect(tables.out).toBe('enforcement,licensing,penalty');
});

it('rebuilds the readers\' masked views with the others when a schema change rebuilds the views', async () => {
  // A view gone stands in for one built from an older schema: the rebuild must make it anew, granted as before.
  await t.db.knex.raw('DROP VIEW credit_shared.licensing');
  await rebuildSchemaViews(t.db.knex);
  const analyst = await login(DB_ROLES.analyst);
  const shown = await psql(analyst, 'SELECT legal_rep_id_number FROM credit_shared.licensing WHERE legal_rep_id_number IS NOT NULL LIMIT 1');
  expect(shown).toMatchObject({ ok: true });
  expect(shown.out).toMatch(/^.{4}\*+.{4}$/);
  expect(await psql(analyst, 'SELECT * FROM credit_shared.water')).toMatchObject({ ok: false });
  expect(await psql(analyst, 'SELECT * FROM v_licensing')).toMatchObject({ ok: false });
});
