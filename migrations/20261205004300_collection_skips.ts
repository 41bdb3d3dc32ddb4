import type { Knex } from 'knex';

// What a per-enterprise source could not collect for one enterprise (the provider refused that one
// request) while the run went on with the others: kept against the run, the source and the enterprise.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('collection_skips', (t) => {
    t.bigIncrements('id');
    t.text('run_id').notNullable();
    t.text('source_id').notNullable();
    t.text('key').notNullable();
    t.text('code').notNullable();
    t.text('message').notNullable();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['run_id']);
    t.index(['key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('collection_skips');
}
