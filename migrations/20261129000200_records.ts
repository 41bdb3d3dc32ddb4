import type { Knex } from 'knex';

const recordColumns = (t: Knex.CreateTableBuilder) => {
  t.text('category').notNullable();
  t.text('natural_key').notNullable();
  t.text('subject_uscc').notNullable();
  t.text('subject_name').notNullable();
  t.date('event_date');
  t.jsonb('fields').notNullable();
  t.text('content_hash').notNullable();
  t.integer('version').notNullable();
  // provenance
  t.text('source_unit').notNullable();
  t.text('delivered_by').notNullable();
  t.uuid('batch_id').notNullable();
  t.integer('source_line').notNullable();
  t.timestamp('received_at', { useTz: true }).notNullable();
  t.timestamp('loaded_at', { useTz: true }).notNullable();
  t.text('schema_version').notNullable();
};

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('credit_records', (t) => {
    t.bigIncrements('id');
    recordColumns(t);
    t.unique(['category', 'natural_key']);
    t.index(['subject_uscc', 'category']);
    t.index(['batch_id']);
  });
  // Every version a record had before an update, each with its own provenance.
  await knex.schema.createTable('credit_record_versions', (t) => {
    t.bigIncrements('id');
    t.bigInteger('record_id').notNullable();
    recordColumns(t);
    t.timestamp('superseded_at', { useTz: true }).notNullable();
    t.uuid('superseded_by_batch').notNullable();
    t.index(['record_id']);
    t.index(['subject_uscc']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('credit_record_versions');
  await knex.schema.dropTable('credit_records');
}
