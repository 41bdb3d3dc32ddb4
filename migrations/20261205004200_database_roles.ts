import type { Knex } from 'knex';
import { createRoleViews, dropRoleViews } from '../store/role-views.ts';

// Database roles of item 12: analysts and BI tools connect with SQL and see only the public
// categories, masked, through views of their own (store/role-views.ts); the service owns the store.
export async function up(knex: Knex): Promise<void> {
  await createRoleViews(knex);
}

export async function down(knex: Knex): Promise<void> {
  await dropRoleViews(knex);
}
