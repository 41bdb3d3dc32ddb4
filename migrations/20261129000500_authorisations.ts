import type { Knex } from 'knex';

// The enterprise authorisation registry (annex note 3: 经企业授权, written or online after real-name
// registration). Non-public data of an enterprise is read or collected only under a grant in force.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('enterprise_authorisations', (t) => {
    t.uuid('id').primary();
    t.text('enterprise_uscc').notNullable();
    t.specificType('categories', 'text[]').notNullable();
    // null: granted to the platform itself (collection); otherwise the lending institution
    t.text('institution');
    t.timestamp('granted_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.text('evidence_kind').notNullable();
    t.text('evidence_ref');
    t.text('recorded_by').notNullable();
    t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['enterprise_uscc']);
  });
  await knex.raw(`ALTER TABLE enterprise_authorisations ADD CONSTRAINT enterprise_authorisations_evidence CHECK (evidence_kind IN ('书面', '线上'))`);
  await knex.raw(`ALTER TABLE enterprise_authorisations ADD CONSTRAINT enterprise_authorisations_period CHECK (expires_at > granted_at)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('enterprise_authorisations');
}
