import type { Knex } from 'knex';

// The access and operation log of item 12 (完整留存数据访问、操作记录). Each entry carries the hash of
// the previous one, so an edited or deleted entry breaks the chain; the head table holds the last
// entry, so cutting entries off the end is seen too. Ordinary sessions cannot change or remove rows
// (the trigger); the chain is what still tells when someone with more rights did.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('access_log', (t) => {
    t.bigInteger('seq').primary();
    t.timestamp('at', { useTz: true }).notNullable();
    t.text('request_id');
    t.text('actor_role').notNullable();
    t.text('actor_unit').notNullable();
    t.uuid('actor_token_id');
    t.text('action').notNullable();
    t.specificType('enterprises', 'text[]').notNullable();
    t.jsonb('detail').notNullable();
    t.text('prev_hash').notNullable();
    t.text('hash').notNullable();
    t.index(['at']);
  });
  await knex.raw('CREATE INDEX access_log_enterprises ON access_log USING gin (enterprises)');
  await knex.schema.createTable('access_log_head', (t) => {
    t.boolean('one').primary().defaultTo(true);
    t.bigInteger('seq').notNullable();
    t.text('hash').notNullable();
  });
  await knex.raw(`ALTER TABLE access_log_head ADD CONSTRAINT access_log_head_one CHECK (one)`);
  await knex.raw(`CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'access_log is append-only (%)', TG_OP; END $$`);
  await knex.raw(`CREATE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only()`);
  await knex.raw(`CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('access_log_head');
  await knex.schema.dropTable('access_log');
  await knex.raw('DROP FUNCTION access_log_append_only()');
}
