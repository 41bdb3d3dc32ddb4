import type { Knex } from 'knex';

// Corrections: a batch may name the batch it corrects, and each rejected row of that batch records
// the correction that loaded it (resolved) or stays open. Progress: rows and bytes of a running batch,
// written outside the batch's transaction (which holds its registry row until it commits), so the
// page can follow a batch of any size in either mode. No foreign key there: a running batch's
// registry row is not committed yet.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('batches', (t) => {
    t.uuid('corrects').references('batches.id').onDelete('SET NULL');
    t.index(['corrects']);
  });
  await knex.schema.alterTable('rejected_rows', (t) => {
    t.uuid('resolved_by').references('batches.id').onDelete('SET NULL');
    t.integer('resolved_line');
  });
  await knex.schema.createTable('batch_progress', (t) => {
    t.uuid('batch_id').primary();
    // the page's own reference for an upload it is still sending (the batch id comes with the answer)
    t.text('ref');
    t.text('delivered_by').notNullable();
    t.bigInteger('bytes').notNullable().defaultTo(0);
    t.bigInteger('total_bytes');
    t.integer('rows').notNullable().defaultTo(0);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['ref']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('batch_progress');
  await knex.schema.alterTable('rejected_rows', (t) => {
    t.dropColumn('resolved_line');
    t.dropColumn('resolved_by');
  });
  await knex.schema.alterTable('batches', (t) => {
    t.dropColumn('corrects');
  });
}
