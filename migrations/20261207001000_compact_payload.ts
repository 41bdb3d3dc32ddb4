// Records' fields become a jsonb array in the category's field order (store/payload.ts says why and
// how): every record and earlier version is rewritten, the index of 公示截止期 is rebuilt on its slot,
// and the views, which read slots now, are rebuilt. Field order only grows (store/payload.test.ts),
// so the order of today's schemas places the fields of any record stored before correctly.
import type { Knex } from 'knex';
import { categories } from '../schemas/registry.ts';
import { fieldSql, objectSql, payloadKeys, payloadSql } from '../store/payload.ts';
import { rebuildSchemaViews } from '../store/views.ts';

export const viewsFingerprint = '48e39137b4702fa43ea2e0b18c007cf69ad20867617edd750c654549730197a0';

const TABLES = ['credit_records', 'credit_record_versions'];

export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS credit_records_publicity_end');
  for (const table of TABLES) {
    for (const spec of categories()) {
      await knex.raw(`UPDATE ${table} SET fields = ${payloadSql(spec.id, Object.fromEntries(payloadKeys(spec.id).map((k) => [k, `fields->'${k}'`])))}
        WHERE category = ? AND jsonb_typeof(fields) = 'object'`, [spec.id]);
    }
  }
  await knex.raw(`CREATE INDEX credit_records_publicity_end ON credit_records ((${fieldSql('penalty', 'publicity_end')})) WHERE category = 'penalty'`);
  await rebuildSchemaViews(knex);
  await knex('schema_view_builds').insert({ migration: '20261207001000_compact_payload', fingerprint: viewsFingerprint });
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS credit_records_publicity_end');
  for (const table of TABLES) {
    for (const spec of categories()) {
      await knex.raw(`UPDATE ${table} SET fields = ${objectSql(spec.id)}
        WHERE category = ? AND jsonb_typeof(fields) = 'array'`, [spec.id]);
    }
  }
  await knex.raw(`CREATE INDEX credit_records_publicity_end ON credit_records ((fields->>'publicity_end')) WHERE category = 'penalty'`);
  await knex('schema_view_builds').where({ migration: '20261207001000_compact_payload' }).delete();
}
