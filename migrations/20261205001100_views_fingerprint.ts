// Rebuilds the schema-derived views for the annex fields (composites, rights information, provider-stated
// indicators, indexed subject columns) and records their fingerprint. A later change to the schemas or
// to store/views.ts changes the fingerprint: store/views.test.ts then asks for a new migration like this one.
import type { Knex } from 'knex';
import { dropSchemaViews, rebuildSchemaViews } from '../store/views.ts';

export const viewsFingerprint = '39ad11a793738415f3c5c44af565a4523c5f7eb1ffa9408e9fe6deb004d28d58';

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
