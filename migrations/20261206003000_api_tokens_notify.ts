// Every change to the API tokens is announced, so that a serving process that keeps token checks in
// memory (store/token-cache.ts) forgets them at once, whichever door the change came through: the
// CLI, the admin API or plain SQL. A statement-level trigger: one notification per statement, sent
// when its transaction commits, and none for a rolled-back one.
import type { Knex } from 'knex';

export const TOKEN_CHANNEL = 'credit_etl_api_tokens';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE FUNCTION api_tokens_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_notify('${TOKEN_CHANNEL}', ''); RETURN NULL; END $$`);
  await knex.raw(`CREATE TRIGGER api_tokens_changed AFTER UPDATE OR DELETE OR TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION api_tokens_changed()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER api_tokens_changed ON api_tokens');
  await knex.raw('DROP FUNCTION api_tokens_changed()');
}
