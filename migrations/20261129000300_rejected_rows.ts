import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rejected_rows', (t) => {
    t.bigIncrements('id');
    t.uuid('batch_id').notNullable().references('batches.id').onDelete('CASCADE');
    t.integer('line').notNullable();
    // the cells exactly as delivered, so the report can show the clerk's own row
    t.jsonb('cells').notNullable();
    t.jsonb('issues').notNullable();
    t.index(['batch_id', 'line']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rejected_rows');
}
