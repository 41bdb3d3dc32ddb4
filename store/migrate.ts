// Migrations are listed here rather than discovered from the folder, so a missing file fails at
// compile time and the order is explicit.
import type { Knex } from 'knex';
import * as batches from '../migrations/20261129000100_batches.ts';
import * as records from '../migrations/20261129000200_records.ts';
import * as rejected from '../migrations/20261129000300_rejected_rows.ts';
import * as views from '../migrations/20261129000400_category_views.ts';
import * as authorisations from '../migrations/20261129000500_authorisations.ts';
import * as apiTokens from '../migrations/20261129001000_api_tokens.ts';
import * as accessLog from '../migrations/20261129001001_access_log.ts';
import * as collectionLedger from '../migrations/20261129002000_collection_ledger.ts';
import * as queuedUploads from '../migrations/20261129003000_queued_uploads.ts';
import * as annexSubjects from '../migrations/20261205001000_annex_subjects.ts';
import * as viewsFingerprint from '../migrations/20261205001100_views_fingerprint.ts';
import * as correctionsProgress from '../migrations/20261205002100_corrections_progress.ts';
import * as accessLogKeys from '../migrations/20261205004100_access_log_keys.ts';
import * as databaseRoles from '../migrations/20261205004200_database_roles.ts';
import * as collectionSkips from '../migrations/20261205004300_collection_skips.ts';
import * as institutions from '../migrations/20261205004400_institutions.ts';
import * as alerts from '../migrations/20261205005000_alerts.ts';
import * as evaluations from '../migrations/20261205006000_evaluations.ts';
import * as alertWithheldReasons from '../migrations/20261205008000_alert_withheld_reasons.ts';
import * as viewsWithRoleViews from '../migrations/20261205009000_views_with_role_views.ts';
import * as authorisationsByInstitution from '../migrations/20261206001000_authorisations_by_enterprise_and_institution.ts';
import * as recordSourceHash from '../migrations/20261206002000_record_source_hash.ts';
import * as apiTokensNotify from '../migrations/20261206003000_api_tokens_notify.ts';
import * as compactPayload from '../migrations/20261207001000_compact_payload.ts';

/** A migration that rebuilds the schema-derived views exports the fingerprint of what it built (store/views.ts). */
interface Migration { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void>; viewsFingerprint?: string }
export const MIGRATIONS: readonly [string, Migration][] = [
  ['20261129000100_batches', batches],
  ['20261129000200_records', records],
  ['20261129000300_rejected_rows', rejected],
  ['20261129000400_category_views', views],
  ['20261129000500_authorisations', authorisations],
  ['20261129001000_api_tokens', apiTokens],
  ['20261129001001_access_log', accessLog],
  ['20261129002000_collection_ledger', collectionLedger],
  ['20261129003000_queued_uploads', queuedUploads],
  ['20261205001000_annex_subjects', annexSubjects],
  ['20261205001100_views_fingerprint', viewsFingerprint],
  ['20261205002100_corrections_progress', correctionsProgress],
  ['20261205004100_access_log_keys', accessLogKeys],
  ['20261205004200_database_roles', databaseRoles],
  ['20261205004300_collection_skips', collectionSkips],
  ['20261205004400_institutions', institutions],
  ['20261205005000_alerts', alerts],
  ['20261205006000_evaluations', evaluations],
  ['20261205008000_alert_withheld_reasons', alertWithheldReasons],
  ['20261205009000_views_with_role_views', viewsWithRoleViews],
  ['20261206001000_authorisations_by_enterprise_and_institution', authorisationsByInstitution],
  ['20261206002000_record_source_hash', recordSourceHash],
  ['20261206003000_api_tokens_notify', apiTokensNotify],
  ['20261207001000_compact_payload', compactPayload],
];

const source: Knex.MigrationSource<[string, Migration]> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: ([name]) => name,
  getMigration: async ([, m]) => m,
};

/** Brings the store up to date; returns the names of the migrations it ran. */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  const latest = async () => (await knex.migrate.latest({ migrationSource: source }))[1] as string[];
  if (knex.client.config.client !== 'pg') return latest(); // PGlite: one process, one connection
  // Two processes starting together on a new store both create knex's own tables, and one fails
  // ("relation knex_migrations already exists"): knex's lock row lives in a table it has yet to
  // create. A session lock on a connection of its own, per schema, lets one migrate at a time.
  const conn = await knex.client.acquireConnection();
  const key = "hashtext('credit-etl migrate ' || current_schema())";
  try {
    await conn.query(`SELECT pg_advisory_lock(${key})`);
    try {
      return await latest();
    } finally {
      await conn.query(`SELECT pg_advisory_unlock(${key})`);
    }
  } finally {
    await knex.client.releaseConnection(conn);
  }
}

/** The migrations this code knows that the store has not run (empty: the schema is current). */
export async function pendingMigrations(knex: Knex): Promise<string[]> {
  const [, pending] = await knex.migrate.list({ migrationSource: source });
  return (pending as [string, Migration][]).map(([name]) => name);
}
