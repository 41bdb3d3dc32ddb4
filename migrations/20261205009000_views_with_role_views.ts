// The database roles' views (store/role-views.ts) are derived from the schemas like the analyst views,
// so they are now rebuilt with them and covered by the fingerprint. Stores migrated before this have
// readers' views built from the schemas as they were when the roles' migration ran.
import type { Knex } from 'knex';
import { rebuildSchemaViews } from '../store/views.ts';

export const viewsFingerprint = 'f0aa02080e9298b386ff9e75c117f1905ed84eb49e1e31d035d26ee496626cd8';

export async function up(knex: Knex): Promise<void> {
  await rebuildSchemaViews(knex);
  await knex('schema_view_builds').insert({ migration: '20261205009000_views_with_role_views', fingerprint: viewsFingerprint });
}

export async function down(knex: Knex): Promise<void> {
  await knex('schema_view_builds').where({ migration: '20261205009000_views_with_role_views' }).delete();
}
