import type { Knex } from 'knex';

// The access log's chain becomes keyed (HMAC under a key held outside the database): each entry and
// the head name the key that signed them. Entries written before keep null (plain SHA-256); the first
// keyed append after them is a rotation entry (store/access-log.ts).
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE access_log ADD COLUMN key_id text');
  await knex.raw('ALTER TABLE access_log_head ADD COLUMN key_id text');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE access_log_head DROP COLUMN key_id');
  await knex.raw('ALTER TABLE access_log DROP COLUMN key_id');
}
