import type { Knex } from 'knex';
import { createCategoryViews, dropCategoryViews } from '../store/views.ts';

export async function up(knex: Knex): Promise<void> {
  await createCategoryViews(knex);
}

export async function down(knex: Knex): Promise<void> {
  await dropCategoryViews(knex);
}
