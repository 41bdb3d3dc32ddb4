// A record keeps a fingerprint of the delivered row it was read from (pipelines/stages/source-hash.ts),
// so that a re-delivery can tell a row the store already holds unchanged from its cells alone, before
// any check or write (docs/how-it-works.md, "Rows the store already holds"). Records loaded before
// this column, or with warnings, have none and take the full path.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  for (const table of ['credit_records', 'credit_record_versions']) await knex.raw(`ALTER TABLE ${table} ADD COLUMN source_hash bigint`);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['credit_records', 'credit_record_versions']) await knex.raw(`ALTER TABLE ${table} DROP COLUMN source_hash`);
}
