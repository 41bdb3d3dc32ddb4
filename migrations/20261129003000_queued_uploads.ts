import type { Knex } from 'knex';

// A queued upload's job payload (where its file is, its category, deliverer and encoding) lives in
// Redis; kept here too, a `received` upload whose job Redis lost (a restart without persistence) can
// be enqueued again by the reconciler (jobs/reconciler.ts) instead of staying `received` for good.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('batches', (t) => {
    t.jsonb('upload');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('batches', (t) => {
    t.dropColumn('upload');
  });
}
