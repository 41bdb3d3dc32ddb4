import type { Knex } from 'knex';

// Lending institutions as a registry with ids (store/institutions.ts): analyst tokens and grants refer
// to one by id. Names already in use are registered under their normalised key (trimmed, whitespace
// collapsed, lower case; the application also folds NFKC for new names) and the rows pointed at them.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('institutions', (t) => {
    t.uuid('id').primary();
    t.text('name').notNullable();
    t.text('name_key').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('ALTER TABLE api_tokens ADD COLUMN institution_id uuid REFERENCES institutions(id)');
  await knex.raw('ALTER TABLE enterprise_authorisations ADD COLUMN institution_id uuid REFERENCES institutions(id)');
  const clean = (col: string) => `btrim(regexp_replace(${col}, '\\s+', ' ', 'g'))`;
  await knex.raw(`INSERT INTO institutions (id, name, name_key)
    SELECT gen_random_uuid(), min(n), lower(n) FROM (
      SELECT ${clean('unit')} AS n FROM api_tokens WHERE role = 'analyst'
      UNION ALL SELECT ${clean('institution')} FROM enterprise_authorisations WHERE institution IS NOT NULL) x
    WHERE n <> '' GROUP BY lower(n)`);
  await knex.raw(`UPDATE api_tokens t SET institution_id = i.id, unit = i.name FROM institutions i WHERE t.role = 'analyst' AND i.name_key = lower(${clean('t.unit')})`);
  await knex.raw(`UPDATE enterprise_authorisations a SET institution_id = i.id, institution = i.name FROM institutions i
    WHERE a.institution IS NOT NULL AND i.name_key = lower(${clean('a.institution')})`);
  await knex.raw('CREATE INDEX enterprise_authorisations_institution ON enterprise_authorisations (institution_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE enterprise_authorisations DROP COLUMN institution_id');
  await knex.raw('ALTER TABLE api_tokens DROP COLUMN institution_id');
  await knex.schema.dropTable('institutions');
}
