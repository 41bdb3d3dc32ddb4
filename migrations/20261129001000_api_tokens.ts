import type { Knex } from 'knex';

// API tokens of the service's users. Only the SHA-256 of a token is kept: tokens are 256-bit random
// strings, so a fast hash cannot be brute-forced, and a leaked table does not leak a usable token.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_tokens', (t) => {
    t.uuid('id').primary();
    t.text('token_hash').notNullable().unique();
    t.text('role').notNullable();
    // provider: the provider unit's id (schemas/provider-units.json); analyst: the institution's name,
    // as authorisations name it; admin: the person or office
    t.text('unit').notNullable();
    t.text('label');
    t.text('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true });
  });
  await knex.raw(`ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role CHECK (role IN ('provider', 'analyst', 'admin'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_tokens');
}
