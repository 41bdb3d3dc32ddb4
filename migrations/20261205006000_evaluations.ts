import type { Knex } from 'knex';

// Basic credit evaluations (measure item 6) as they were stored, one row per enterprise, card
// version, tier and as-of date each time one is computed (append-only: a later row for the same
// date never hides what was stored before). `body` is the canonical JSON text itself, not jsonb, so
// the bytes served are the bytes stored; `data_cutoff` is what an as-of rebuild reads up to.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('credit_evaluations', (t) => {
    t.bigIncrements('id');
    t.text('uscc').notNullable();
    t.text('card_id').notNullable();
    t.text('card_version').notNullable();
    t.text('tier').notNullable();
    t.date('as_of').notNullable();
    t.timestamp('data_cutoff', { useTz: true }).notNullable();
    t.timestamp('computed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('grade').notNullable();
    t.integer('score');
    t.text('input_hash').notNullable();
    t.text('body').notNullable();
    t.text('trigger').notNullable();
    t.index(['uscc', 'card_id', 'tier', 'as_of']);
  });
  await knex.raw(`ALTER TABLE credit_evaluations ADD CONSTRAINT credit_evaluations_tier CHECK (tier IN ('public', 'enriched'))`);
  // The nightly run asks which penalties' publicity ended on a given day.
  await knex.raw(`CREATE INDEX credit_records_publicity_end ON credit_records ((fields->>'publicity_end')) WHERE category = 'penalty'`);
  // A report is verified and rebuilt from its access-log entry, found by its number.
  await knex.raw(`CREATE UNIQUE INDEX access_log_report_no ON access_log ((detail->>'reportNo')) WHERE action = 'report.issue'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS access_log_report_no');
  await knex.raw('DROP INDEX IF EXISTS credit_records_publicity_end');
  await knex.schema.dropTable('credit_evaluations');
}
