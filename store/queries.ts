// Read side of the store for the CLI and the API: batches, rejected rows, enterprise profiles.
import type { Knex } from 'knex';
import type { RowIssue } from '../pipelines/types.ts';
import type { CategoryId } from '../schemas/registry.ts';
import type { BatchStatus } from './batch-status.ts';
import type { Db } from './db.ts';
import { grantsInForceSql, lapsedCollectionsSql, lapsedOf, type Authorisation, type Lapsed } from './authorisations.ts';
import { fromPayload } from './payload.ts';
import { prepared, utcIso } from './sql.ts';

const BATCH_COLUMNS = ['id', 'category', 'file_name', 'sha256', 'size_bytes', 'encoding', 'delivered_by', 'status', 'schema_version',
  'read', 'accepted', 'rejected', 'inserted', 'updated', 'unchanged', 'duplicates', 'warning_count', 'refusal', 'error', 'headers', 'corrects', 'warnings'];
const ts = (knex: Knex, col: string) => knex.raw(utcIso(col));

export interface BatchRow {
  id: string; category: string; file_name: string; sha256: string | null; size_bytes: number | null; encoding: string | null;
  delivered_by: string; status: BatchStatus; schema_version: string; received_at: string; finished_at: string | null;
  read: number; accepted: number; rejected: number; inserted: number; updated: number; unchanged: number; duplicates: number;
  warning_count: number; refusal: RowIssue | null; error: string | null; headers: string[];
  corrects: string | null; warnings: RowIssue[];
}

const selectBatches = (k: Knex) => k('batches').select([...BATCH_COLUMNS, ts(k, 'received_at'), ts(k, 'finished_at')]);

/**
 * The latest batches; only those delivered by one unit (its full name, as batches.delivered_by holds
 * it) when given; with `withOpen`, each with the number of its rejected rows no correction has loaded.
 */
export async function listBatches(db: Db, limit = 50, deliveredBy?: string, opts: { withOpen?: boolean } = {}): Promise<(BatchRow & { open_rejects?: number })[]> {
  // the column, not the received_at text the select makes of it
  const q = selectBatches(db.knex).orderBy('batches.received_at', 'desc').limit(limit);
  if (opts.withOpen) q.select(db.knex.raw('(SELECT count(*)::int FROM rejected_rows r WHERE r.batch_id = batches.id AND r.resolved_by IS NULL) AS open_rejects'));
  return deliveredBy === undefined ? q : q.where({ delivered_by: deliveredBy });
}

/** Ids of the batches whose id starts with this prefix (at most two: enough to tell a unique prefix). */
export async function batchIdsByPrefix(db: Db, prefix: string): Promise<string[]> {
  if (!/^[0-9a-f-]{4,36}$/i.test(prefix)) return [];
  const rows = await db.knex('batches').whereRaw('id::text LIKE ?', [`${prefix.toLowerCase()}%`]).limit(2).select('id');
  return rows.map((r) => r.id);
}

export async function getBatch(db: Db, id: string): Promise<BatchRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return selectBatches(db.knex).where({ id }).first();
}

export type RejectStatus = 'open' | 'resolved';

export interface RejectedRow {
  line: number; cells: string[]; issues: RowIssue[];
  /** resolved: a later batch (resolvedBy, at its line resolvedLine) loaded the corrected row. */
  status: RejectStatus; resolvedBy: string | null; resolvedLine: number | null;
}

/** Rejected rows of a batch in line order, a page at a time, so a large report never sits in memory; only open or resolved ones when asked. */
export async function* rejectedRows(db: Db, batchId: string, opts: { status?: RejectStatus; pageSize?: number } = {}): AsyncGenerator<RejectedRow> {
  const pageSize = opts.pageSize ?? 2000;
  let after = -1;
  for (;;) {
    const q = db.knex('rejected_rows').select('id', 'line', 'cells', 'issues', 'resolved_by', 'resolved_line').where('batch_id', batchId).andWhere('id', '>', after).orderBy('id').limit(pageSize);
    if (opts.status === 'open') q.whereNull('resolved_by');
    if (opts.status === 'resolved') q.whereNotNull('resolved_by');
    const rows = await q;
    for (const r of rows) {
      yield { line: r.line, cells: r.cells, issues: r.issues, status: r.resolved_by ? 'resolved' : 'open', resolvedBy: r.resolved_by, resolvedLine: r.resolved_line };
    }
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1].id;
  }
}

/** How many of a batch's rejected rows are still open. */
export async function openRejects(db: Db, batchId: string): Promise<number> {
  const r = await db.knex('rejected_rows').where({ batch_id: batchId }).whereNull('resolved_by').count<{ n: string }[]>({ n: '*' });
  return Number(r[0].n);
}

export interface ProfileRecord {
  id: number; category: string; natural_key: string; event_date: string | null; fields: Record<string, unknown>; version: number;
  source_unit: string; delivered_by: string; batch_id: string; source_line: number; received_at: string; loaded_at: string;
  schema_version: string; content_hash: string;
  history: Omit<ProfileRecord, 'history' | 'id'>[];
}

const RECORD_READ = ['category', 'natural_key', 'fields', 'version', 'source_unit', 'delivered_by', 'batch_id', 'source_line', 'schema_version', 'content_hash',
  'event_date::text AS event_date', utcIso('received_at'), utcIso('loaded_at')].join(', ');

/**
 * One enterprise's profile reads in one statement: its records, their earlier versions (read only
 * when a record is at version > 1: the merge writes a version only when it bumps `version`), the
 * grants in force for the recipient (store/authorisations.ts), and its lapsed collections.
 */
const enterpriseReadsSql = (recipient: 'institution' | 'platform') => `
  WITH r AS (SELECT id, ${RECORD_READ} FROM credit_records WHERE subject_uscc = :uscc)
  SELECT (SELECT json_agg(r ORDER BY category, event_date, natural_key) FROM r) AS records,
    CASE WHEN EXISTS (SELECT 1 FROM r WHERE version > 1) THEN (SELECT json_agg(v ORDER BY record_id, version) FROM (
      SELECT record_id, ${RECORD_READ}, ${utcIso('superseded_at')}, superseded_by_batch FROM credit_record_versions WHERE subject_uscc = :uscc) v) END AS history,
    (SELECT json_agg(g ORDER BY expires_at DESC) FROM (${grantsInForceSql({ recipient, enterprises: 'one' })}) g) AS grants,
    (SELECT json_agg(l) FROM (${lapsedCollectionsSql({ enterprises: 'one', endedBefore: false })}) l) AS lapsed`;
const ENTERPRISE_READS = { institution: enterpriseReadsSql('institution'), platform: enterpriseReadsSql('platform') };

export interface EnterpriseReads {
  readonly records: ProfileRecord[];
  /** The grants in force for the recipient, latest expiry first. */
  readonly grants: Authorisation[];
  readonly lapsed: Lapsed;
}

/**
 * Every record of one enterprise across the categories, each with its provenance and earlier versions,
 * with the grants in force at `at` for the recipient (the institution's registry id, or null for the
 * platform's own staff) and the enterprise's lapsed collections: what a profile needs, in one round
 * trip, prepared once per connection.
 */
export async function enterpriseReads(db: Db, q: { uscc: string; institutionId: string | null; at: string }): Promise<EnterpriseReads> {
  const recipient = q.institutionId === null ? 'platform' : 'institution';
  const bindings = { uscc: q.uscc, at: q.at, ...(q.institutionId === null ? {} : { institution_id: q.institutionId }) };
  const [row] = (await prepared(db, `credit-etl.enterprise-reads.${recipient}`, db.knex.raw(ENTERPRISE_READS[recipient], bindings))).rows;
  const byRecord = new Map<number, ProfileRecord['history']>();
  for (const h of (row.history ?? []) as (ProfileRecord['history'][number] & { record_id: number })[]) {
    h.fields = fromPayload(h.category as CategoryId, h.fields as unknown as unknown[]);
    const versions = byRecord.get(h.record_id);
    if (versions) versions.push(h);
    else byRecord.set(h.record_id, [h]);
  }
  return {
    records: ((row.records ?? []) as Omit<ProfileRecord, 'history'>[])
      .map((r) => ({ ...r, fields: fromPayload(r.category as CategoryId, r.fields as unknown as unknown[]), history: byRecord.get(r.id) ?? [] })),
    grants: row.grants ?? [],
    lapsed: lapsedOf(row.lapsed ?? []).get(q.uscc) ?? {},
  };
}
