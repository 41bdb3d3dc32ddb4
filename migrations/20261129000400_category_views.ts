import type { Knex } from 'knex';
import { dropSchemaViews, rebuildSchemaViews } from '../store/views.ts';

export async function up(knex: Knex): Promise<void> {
  await rebuildSchemaViews(knex);
}

export async function down(knex: Knex): Promise<void> {
  await dropSchemaViews(knex);
}
