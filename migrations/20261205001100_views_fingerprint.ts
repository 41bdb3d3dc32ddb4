// Rebuilds the schema-derived views for the annex fields (composites, rights information, provider-stated
// indicators, indexed subject columns) and records their fingerprint. A later change to the schemas or
// to store/views.ts changes the fingerprint: store/views.test.ts then asks for a new migration like this one.
import type { Knex } from 'knex';
import { dropSchemaViews, rebuildSchemaViews } from '../store/views.ts';

export const viewsFingerprint = '72cb5bc2839c169ead6e8664d3e28bdd01853136599dd959f99feb7e49d85377';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('schema_view_builds', (t) => {
    t.text('migration').primary();
    t.text('fingerprint').notNullable();
    t.timestamp('built_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await rebuildSchemaViews(knex);
  await knex('schema_view_builds').insert({ migration: '20261205001100_views_fingerprint', fingerprint: viewsFingerprint });
}

export async function down(knex: Knex): Promise<void> {
  await dropSchemaViews(knex);
  await knex.schema.dropTable('schema_view_builds');
}
