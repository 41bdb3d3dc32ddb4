import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('batches', (t) => {
    t.uuid('id').primary();
    t.text('category').notNullable();
    t.text('file_name').notNullable();
    t.text('sha256');
    t.bigInteger('size_bytes');
    t.text('encoding');
    t.text('delivered_by').notNullable();
    t.text('status').notNullable();
    t.text('schema_version').notNullable();
    t.jsonb('headers').notNullable().defaultTo('[]');
    t.timestamp('received_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    for (const c of ['read', 'accepted', 'rejected', 'inserted', 'updated', 'unchanged', 'duplicates', 'warning_count']) t.integer(c).notNullable().defaultTo(0);
    t.float('max_reject_ratio');
    t.integer('max_rejects');
    t.jsonb('refusal');
    t.text('error');
    t.jsonb('warnings').notNullable().defaultTo('[]');
    t.index(['category', 'received_at']);
    t.index(['sha256']);
  });
  await knex.raw(`ALTER TABLE batches ADD CONSTRAINT batches_status_check CHECK (status IN ('received', 'loaded', 'refused', 'failed'))`);
  // The reconciliation the whole design promises, enforced by the database for every finished batch.
  await knex.raw(`ALTER TABLE batches ADD CONSTRAINT batches_counts_reconcile CHECK (
    status NOT IN ('loaded', 'refused') OR (read = accepted + rejected AND (status = 'refused' OR accepted = inserted + updated + unchanged + duplicates)))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('batches');
}
