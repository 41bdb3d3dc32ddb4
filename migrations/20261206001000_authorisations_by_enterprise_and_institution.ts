// A profile asks for the grants in force of one enterprise to one institution. With an index on each
// column alone the planner chose between them on statistics, and statistics go stale when many grants
// change at once (the institutions migration linked every grant to its institution by UPDATE; this
// project's servers run with autovacuum off): believing institution_id all NULL, it walked one
// bank's 196,000 grants for every profile, 75-210 ms each, and the service fell from 807 to 50
// profiles a second at 10M records (bench/RESULTS.md). Both indexes now cover both columns, each
// leading with its own, so whichever the planner picks finds the grant by both; lookups by one
// column alone use the index that leads with it.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX enterprise_authorisations_enterprise_institution ON enterprise_authorisations (enterprise_uscc, institution_id)');
  await knex.raw('DROP INDEX IF EXISTS enterprise_authorisations_enterprise_uscc_index');
  await knex.raw('CREATE INDEX enterprise_authorisations_institution_enterprise ON enterprise_authorisations (institution_id, enterprise_uscc)');
  await knex.raw('DROP INDEX IF EXISTS enterprise_authorisations_institution');
  await knex.raw('ANALYZE enterprise_authorisations');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX enterprise_authorisations_enterprise_uscc_index ON enterprise_authorisations (enterprise_uscc)');
  await knex.raw('CREATE INDEX enterprise_authorisations_institution ON enterprise_authorisations (institution_id)');
  await knex.raw('DROP INDEX enterprise_authorisations_enterprise_institution');
  await knex.raw('DROP INDEX enterprise_authorisations_institution_enterprise');
}
