// The database's own door to the data, for people and BI tools that connect with SQL: the roles of
// item 12 and the views they read through, derived from the schemas' sensitivity like the service's
// masking (api/access.ts). The analyst and reporting roles see only the public categories, in a schema
// of their own, with every field that is not public masked (3713**********123X) and penalties past
// their 公示截止期 left out; they cannot read credit_records, the non-public categories, the access log
// or anything else of the store. The owner role is the service's.
import type { Knex } from 'knex';
import { categories, type CategorySpec } from '../schemas/registry.ts';
import { isGatedCategory, publicityEndFields } from '../schemas/sensitivity.ts';
import { fieldSql } from './payload.ts';

/** Cluster-wide group roles (NOLOGIN): a person's or a tool's login is made a member of one. */
export const DB_ROLES = { owner: 'credit_etl_owner', analyst: 'credit_etl_analyst', reporting: 'credit_etl_reporting' } as const;
const READERS = [DB_ROLES.analyst, DB_ROLES.reporting];

/** The readers' schema beside the store's: credit_shared, or <schema>_shared for a store in a schema of its own. */
export const sharedSchema = (storeSchema: string) => (storeSchema === 'public' ? 'credit_shared' : `${storeSchema}_shared`);

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** As api/access.ts maskValue: the first and last four characters of a long value kept, a short one starred whole. */
const masked = (v: string) => `CASE WHEN ${v} IS NULL THEN NULL WHEN char_length(${v}) > 8 `
  + `THEN left(${v}, 4) || repeat('*', char_length(${v}) - 8) || right(${v}, 4) ELSE repeat('*', char_length(${v})) END`;

function viewSql(schema: string, spec: CategorySpec): string {
  const cols = spec.fields.map((f) => {
    const v = `(${fieldSql(spec.id, f.key, 'r.')})`;
    return `${f.sensitivity === 'public' ? v : masked(v)} AS ${f.key}`;
  });
  const end = publicityEndFields().get(spec.id);
  // Beijing's calendar day, as the service's publicity rule reads it.
  const current = end ? ` AND NOT COALESCE((${fieldSql(spec.id, end, 'r.')}) < to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), false)` : '';
  return `CREATE VIEW ${schema}.${spec.id} AS SELECT r.natural_key, r.event_date, ${cols.join(', ')}, `
    + 'r.source_unit AS prov_source_unit, r.delivered_by AS prov_delivered_by, r.loaded_at AS prov_loaded_at, r.schema_version AS prov_schema_version '
    + `FROM credit_records r WHERE r.category = ${lit(spec.id)}${current}`;
}

async function storeSchema(knex: Knex): Promise<string> {
  return (await knex.raw('SELECT current_schema() AS s')).rows[0].s;
}

/** Creates a role unless it exists; two databases of one cluster migrating at once may race for it. */
const createRole = (name: string) => `DO $$ BEGIN CREATE ROLE ${name} NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`;

/** The readers' views in `shared`, with their comments: derived from the schemas, so their SQL is part of the views' fingerprint. */
export function roleViewStatements(shared: string): string[] {
  return categories().filter((c) => !isGatedCategory(c)).flatMap((spec) => [
    viewSql(shared, spec),
    `COMMENT ON VIEW ${shared}.${spec.id} IS ${lit(`${spec.labelZh}：${spec.grain}`)}`,
    ...spec.fields.map((f) => `COMMENT ON COLUMN ${shared}.${spec.id}.${f.key} IS ${lit(f.labelZh + (f.sensitivity === 'public' ? '' : '（已遮蔽 masked）'))}`),
  ]);
}

async function grantReaders(knex: Knex, shared: string): Promise<void> {
  for (const role of READERS) await knex.raw(`GRANT SELECT ON ALL TABLES IN SCHEMA ${shared} TO ${role}`);
}

export async function createRoleViews(knex: Knex): Promise<void> {
  const store = await storeSchema(knex);
  const shared = sharedSchema(store);
  for (const role of Object.values(DB_ROLES)) await knex.raw(createRole(role));
  await knex.raw(`CREATE SCHEMA ${shared}`);
  await knex.raw(`COMMENT ON SCHEMA ${shared} IS ${lit('公开类别信用信息（非公开字段已遮蔽）/ public categories, non-public fields masked: for credit_etl_analyst and credit_etl_reporting')}`);
  for (const sql of roleViewStatements(shared)) await knex.raw(sql);
  // Nothing of the store for anyone but its owner; the readers get the shared views and nothing else.
  await knex.raw(`REVOKE ALL ON ALL TABLES IN SCHEMA ${store} FROM PUBLIC`);
  await knex.raw(`REVOKE ALL ON SCHEMA ${shared} FROM PUBLIC`);
  for (const role of READERS) await knex.raw(`GRANT USAGE ON SCHEMA ${shared} TO ${role}`);
  await grantReaders(knex, shared);
  await knex.raw(`GRANT USAGE, CREATE ON SCHEMA ${store} TO ${DB_ROLES.owner}`);
  await knex.raw(`GRANT ALL ON ALL TABLES IN SCHEMA ${store} TO ${DB_ROLES.owner}`);
  await knex.raw(`GRANT ALL ON ALL SEQUENCES IN SCHEMA ${store} TO ${DB_ROLES.owner}`);
  await knex.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${store} GRANT ALL ON TABLES TO ${DB_ROLES.owner}`);
  await knex.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${store} GRANT ALL ON SEQUENCES TO ${DB_ROLES.owner}`);
}

/**
 * Rebuilds the readers' views after a schema change, when the roles' migration has made their schema
 * (before it, there is nothing to rebuild). Called by rebuildSchemaViews, the one place views are rebuilt.
 */
export async function rebuildRoleViews(knex: Knex): Promise<void> {
  const shared = sharedSchema(await storeSchema(knex));
  const exists = (await knex.raw('SELECT 1 FROM pg_namespace WHERE nspname = ?', [shared])).rows.length > 0;
  if (!exists) return;
  const views: string[] = (await knex.raw('SELECT table_name FROM information_schema.views WHERE table_schema = ?', [shared])).rows.map((r: { table_name: string }) => r.table_name);
  for (const v of views) await knex.raw(`DROP VIEW ${shared}.${v}`);
  for (const sql of roleViewStatements(shared)) await knex.raw(sql);
  await grantReaders(knex, shared);
}

/** Drops the views and their schema; the roles stay (they are the cluster's, other databases may use them). */
export async function dropRoleViews(knex: Knex): Promise<void> {
  await knex.raw(`DROP SCHEMA IF EXISTS ${sharedSchema(await storeSchema(knex))} CASCADE`);
}
