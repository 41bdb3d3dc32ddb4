import type { Knex } from 'knex';

// The run ledger of the nightly collection: the source of truth about runs, not Redis. A run's
// batches and each source's cursor are written inside the batch's own transaction (store/ledger.ts),
// so the counts and cursors here always describe exactly the rows the store holds.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('collection_runs', (t) => {
    t.text('id').primary();
    t.text('trigger').notNullable();
    t.text('status').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true });
    t.jsonb('report');
    t.index(['status']);
  });
  await knex.raw(`ALTER TABLE collection_runs ADD CONSTRAINT collection_runs_status CHECK (status IN ('running', 'succeeded', 'partial', 'failed'))`);
  await knex.raw(`ALTER TABLE collection_runs ADD CONSTRAINT collection_runs_trigger CHECK (trigger IN ('schedule', 'manual'))`);

  await knex.schema.createTable('collection_run_sources', (t) => {
    t.text('run_id').notNullable().references('id').inTable('collection_runs').onDelete('CASCADE');
    t.text('source_id').notNullable();
    t.text('status').notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('error_code');
    t.text('error');
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.primary(['run_id', 'source_id']);
  });
  await knex.raw(`ALTER TABLE collection_run_sources ADD CONSTRAINT collection_run_sources_status CHECK (status IN ('queued', 'running', 'retrying', 'succeeded', 'failed'))`);

  // One line per batch a source loaded in a run; the batch's counts live in batches.
  await knex.schema.createTable('collection_run_batches', (t) => {
    t.uuid('batch_id').primary().references('id').inTable('batches');
    t.text('run_id').notNullable();
    t.text('source_id').notNullable();
    t.integer('rows_yielded').notNullable();
    t.jsonb('cursor_after');
    t.timestamp('committed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.foreign(['run_id', 'source_id']).references(['run_id', 'source_id']).inTable('collection_run_sources').onDelete('CASCADE');
    t.index(['run_id', 'source_id']);
  });

  await knex.schema.createTable('connector_cursors', (t) => {
    t.text('source_id').primary();
    t.jsonb('cursor').notNullable();
    t.text('run_id').notNullable();
    t.uuid('batch_id');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('connector_cursors');
  await knex.schema.dropTable('collection_run_batches');
  await knex.schema.dropTable('collection_run_sources');
  await knex.schema.dropTable('collection_runs');
}
