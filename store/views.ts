// One analyst view per category, derived from the schemas: English keys as typed columns, the
// Chinese label as the column comment, provenance alongside (prov_*). Plus the derived utility indicators.
import type { Knex } from 'knex';
import { categories, type CategorySpec, type FieldSpec } from '../schemas/registry.ts';

const PROVENANCE = ['source_unit', 'delivered_by', 'batch_id', 'source_line', 'received_at', 'loaded_at', 'schema_version', 'content_hash', 'version'];

function columnExpr(f: FieldSpec): string {
  const v = `r.fields->>'${f.key}'`;
  switch (f.kind) {
    case 'date': case 'dateOrLongTerm': return `(${v})::date`;
    case 'amountWan': return `(${v})::numeric(18,6)`;
    case 'amountYuan': return `(${v})::numeric(16,2)`;
    case 'quantity': return `(${v})::numeric(15,3)`;
    case 'yesNo': return `(${v})::boolean`;
    case 'codes': return `ARRAY(SELECT jsonb_array_elements_text(r.fields->'${f.key}'))`;
    default: return v;
  }
}

export const viewName = (spec: CategorySpec) => `v_${spec.id}`;

function viewSql(spec: CategorySpec): string {
  const cols = spec.fields.map((f) => `${columnExpr(f)} AS ${f.key}`);
  const longTerm = spec.fields.filter((f) => f.kind === 'dateOrLongTerm')
    .map((f) => `(r.fields->>'${f.key}') = '2099-12-31' AS ${f.key}_long_term`);
  return `CREATE VIEW ${viewName(spec)} AS SELECT r.id, r.natural_key, r.event_date, ${[...cols, ...longTerm].join(', ')}, `
    + `${PROVENANCE.map((p) => `r.${p} AS prov_${p}`).join(', ')} FROM credit_records r WHERE r.category = '${spec.id}'`;
}

/**
 * 近3个月/近6个月月均用量 over the latest 3 / 6 billing months on record for the account (rolling on
 * the account's latest month, since providers deliver with a lag), and 当前是否欠费 as any unpaid
 * balance across the months on record. The provider's own figures from the latest row sit beside them.
 */
function indicatorsSql(id: 'water' | 'gas'): string {
  return `CREATE VIEW v_${id}_indicators AS
    WITH m AS (
      SELECT r.subject_uscc, r.subject_name, r.fields->>'account_no' AS account_no, r.fields->>'account_name' AS account_name,
        r.fields->>'billing_month' AS billing_month, (r.fields->>'usage')::numeric AS usage,
        GREATEST(COALESCE((r.fields->>'arrears')::numeric, (r.fields->>'amount_due')::numeric - (r.fields->>'amount_paid')::numeric), 0) AS unpaid,
        (r.fields->>'avg_usage_3m')::numeric AS reported_avg_3m, (r.fields->>'avg_usage_6m')::numeric AS reported_avg_6m,
        (r.fields->>'in_arrears')::boolean AS reported_in_arrears,
        row_number() OVER (PARTITION BY r.subject_uscc, r.fields->>'account_no' ORDER BY r.fields->>'billing_month' DESC) AS rn
      FROM credit_records r WHERE r.category = '${id}')
    SELECT subject_uscc, max(subject_name) AS subject_name, account_no, max(account_name) AS account_name,
      max(billing_month) AS latest_month, count(*) AS months_on_record,
      round(avg(usage) FILTER (WHERE rn <= 3), 3) AS avg_usage_3m,
      round(avg(usage) FILTER (WHERE rn <= 6), 3) AS avg_usage_6m,
      sum(unpaid) AS unpaid_total, sum(unpaid) > 0 AS in_arrears,
      max(reported_avg_3m) FILTER (WHERE rn = 1) AS reported_avg_usage_3m,
      max(reported_avg_6m) FILTER (WHERE rn = 1) AS reported_avg_usage_6m,
      bool_or(reported_in_arrears) FILTER (WHERE rn = 1) AS reported_in_arrears
    FROM m GROUP BY subject_uscc, account_no`;
}

const comment = (s: string) => `'${s.replaceAll("'", "''")}'`;

export async function createCategoryViews(knex: Knex): Promise<void> {
  for (const spec of categories()) {
    await knex.raw(viewSql(spec));
    await knex.raw(`COMMENT ON VIEW ${viewName(spec)} IS ${comment(`${spec.labelZh}：${spec.grain}`)}`);
    for (const f of spec.fields) {
      await knex.raw(`COMMENT ON COLUMN ${viewName(spec)}.${f.key} IS ${comment(f.labelZh + (f.unit ? `（${f.unit}）` : ''))}`);
    }
  }
  await knex.raw(indicatorsSql('water'));
  await knex.raw(indicatorsSql('gas'));
}

export async function dropCategoryViews(knex: Knex): Promise<void> {
  await knex.raw('DROP VIEW IF EXISTS v_water_indicators, v_gas_indicators');
  for (const spec of categories()) await knex.raw(`DROP VIEW IF EXISTS ${viewName(spec)}`);
}
