// The views derived from the schemas: one analyst view per category (English keys as typed columns,
// the Chinese label as the column comment, provenance alongside as prov_*) and the water and gas
// indicators. rebuildSchemaViews is the one place they are dropped and created; a migration that calls
// it records the fingerprint of what it built, and a test fails when the schemas or this file would
// build something else, so every change reaches existing databases through a new migration.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { categories, type CategorySpec, type FieldSpec } from '../schemas/registry.ts';
import { fieldSql } from './payload.ts';
import { rebuildRoleViews, roleViewStatements, sharedSchema } from './role-views.ts';

const PROVENANCE = ['source_unit', 'delivered_by', 'batch_id', 'source_line', 'received_at', 'loaded_at', 'schema_version', 'content_hash', 'version'];
// Fields the store keeps as real, indexed columns of credit_records: views read those, so a filter on
// them uses the index (subject_uscc, category) instead of scanning the category's jsonb.
const RECORD_COLUMNS: Readonly<Record<string, string>> = { subject_uscc: 'r.subject_uscc', subject_name: 'r.subject_name' };

function columnExpr(spec: CategorySpec, f: FieldSpec): string {
  const column = RECORD_COLUMNS[f.key];
  if (column) return column;
  const v = fieldSql(spec.id, f.key, 'r.');
  switch (f.kind) {
    case 'date': case 'dateOrLongTerm': return `(${v})::date`;
    case 'amountWan': return `(${v})::numeric(18,6)`;
    case 'amountYuan': return `(${v})::numeric(16,2)`;
    case 'quantity': return `(${v})::numeric(15,3)`;
    case 'yesNo': return `(${v})::boolean`;
    case 'codes': return `ARRAY(SELECT jsonb_array_elements_text(${fieldSql(spec.id, f.key, 'r.', 'json')}))`;
    default: return v;
  }
}

export const viewName = (spec: CategorySpec) => `v_${spec.id}`;
const comment = (s: string) => `'${s.replaceAll("'", "''")}'`;

function categoryViewSql(spec: CategorySpec): string[] {
  const cols = spec.fields.map((f) => `${columnExpr(spec, f)} AS ${f.key}`);
  const longTerm = spec.fields.filter((f) => f.kind === 'dateOrLongTerm')
    .map((f) => `(${fieldSql(spec.id, f.key, 'r.')}) = '2099-12-31' AS ${f.key}_long_term`);
  const view = viewName(spec);
  return [
    `CREATE VIEW ${view} AS SELECT r.id, r.natural_key, r.event_date, ${[...cols, ...longTerm].join(', ')}, `
    + `${fieldSql(spec.id, '_original', 'r.', 'json')} AS original_values, ${PROVENANCE.map((p) => `r.${p} AS prov_${p}`).join(', ')} FROM credit_records r WHERE r.category = '${spec.id}'`,
    `COMMENT ON VIEW ${view} IS ${comment(`${spec.labelZh}：${spec.grain}`)}`,
    ...spec.fields.map((f) => `COMMENT ON COLUMN ${view}.${f.key} IS ${comment(f.labelZh + (f.unit ? `（${f.unit}）` : ''))}`),
    `COMMENT ON COLUMN ${view}.original_values IS ${comment('换算前的原值（字段 -> 报送的单元格） cells as delivered, for values converted from another unit')}`,
  ];
}

/**
 * The rule of lib/utility-indicators.ts in SQL, as of today in Asia/Shanghai: the windows are the
 * 3 / 6 full calendar months before the current month, averages over the billed months of a window
 * (billed_months_* says how many), and 当前是否欠费 is the running balance (amount due minus amount paid
 * over every bill before the current month) above zero. The provider's own figures from its latest
 * row that states any sit beside them (reported_*).
 */
function indicatorsSql(id: 'water' | 'gas'): string[] {
  const view = `v_${id}_indicators`;
  const f = (key: string) => fieldSql(id, key, 'r.');
  const month = (back: number) => `to_char(date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') - interval '${back} months', 'YYYY-MM')`;
  const inWindow = (n: number) => `billing_month >= w${n} AND billing_month < cur`;
  const stated = (col: string) => `(array_agg(${col} ORDER BY received_at DESC, id DESC) FILTER (WHERE states))[1]`;
  return [
    `CREATE VIEW ${view} AS
    WITH b AS (
      SELECT r.id, r.subject_uscc, r.subject_name, ${f('account_no')} AS account_no, ${f('account_name')} AS account_name,
        ${f('billing_month')} AS billing_month, (${f('usage')})::numeric AS usage,
        (${f('amount_due')})::numeric - (${f('amount_paid')})::numeric AS owed,
        (${f('avg_usage_3m')})::numeric AS s3, (${f('avg_usage_6m')})::numeric AS s6, (${f('in_arrears')})::boolean AS sa,
        (${['avg_usage_3m', 'avg_usage_6m', 'in_arrears'].map((k) => `${f(k)} IS NOT NULL`).join(' OR ')}) AS states, r.received_at,
        ${month(0)} AS cur, ${month(3)} AS w3, ${month(6)} AS w6
      FROM credit_records r WHERE r.category = '${id}')
    SELECT subject_uscc, max(subject_name) AS subject_name, account_no, max(account_name) AS account_name,
      max(billing_month) FILTER (WHERE billing_month < cur) AS latest_month,
      count(*) FILTER (WHERE ${inWindow(3)}) AS billed_months_3m,
      round(avg(usage) FILTER (WHERE ${inWindow(3)}), 3) AS avg_usage_3m,
      count(*) FILTER (WHERE ${inWindow(6)}) AS billed_months_6m,
      round(avg(usage) FILTER (WHERE ${inWindow(6)}), 3) AS avg_usage_6m,
      count(*) FILTER (WHERE ${inWindow(6)}) = 0 AS no_recent_data,
      COALESCE(sum(owed) FILTER (WHERE billing_month < cur), 0) AS balance,
      COALESCE(sum(owed) FILTER (WHERE billing_month < cur), 0) > 0 AS in_arrears,
      ${stated('s3')} AS reported_avg_usage_3m, ${stated('s6')} AS reported_avg_usage_6m, ${stated('sa')} AS reported_in_arrears,
      ${stated('received_at')} AS reported_at
    FROM b GROUP BY subject_uscc, account_no`,
    `COMMENT ON VIEW ${view} IS ${comment('近3/6个月月均用量与当前是否欠费（按上海时区当月之前的完整自然月计算；规则见 docs/data-contract.md） indicators per account, rule in docs/data-contract.md')}`,
    `COMMENT ON COLUMN ${view}.in_arrears IS ${comment('当前是否欠费：当月之前全部账单应缴减实缴之和大于0 running balance above zero')}`,
  ];
}

/** Every statement that builds the schema-derived views, in order. */
export function schemaViewStatements(): string[] {
  return [...categories().flatMap(categoryViewSql), ...indicatorsSql('water'), ...indicatorsSql('gas')];
}

/** The fingerprint of the views the schemas build now (the readers' views too); a views migration records it. */
export function viewsFingerprint(): string {
  return createHash('sha256').update([...schemaViewStatements(), ...roleViewStatements(sharedSchema('public'))].join(';\n')).digest('hex');
}

export async function dropSchemaViews(knex: Knex): Promise<void> {
  await knex.raw('DROP VIEW IF EXISTS v_water_indicators, v_gas_indicators');
  for (const spec of categories()) await knex.raw(`DROP VIEW IF EXISTS ${viewName(spec)}`);
}

/** Drops and creates every schema-derived view, the database roles' included: the one place they are (re)built. */
export async function rebuildSchemaViews(knex: Knex): Promise<void> {
  await dropSchemaViews(knex);
  for (const sql of schemaViewStatements()) await knex.raw(sql);
  await rebuildRoleViews(knex);
}
