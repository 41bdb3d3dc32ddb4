// The store side of the basic credit evaluation: record versions in effect at a cut-off (rebuilt
// from credit_records and credit_record_versions), the enterprises a run must re-evaluate, and the
// evaluations as stored.
import type { CategoryId } from '../schemas/registry.ts';
import type { Db } from './db.ts';
import { fieldSql, fromPayload } from './payload.ts';
import { utcIso } from './sql.ts';

/** One record version in effect at a cut-off; record_id is stable across versions (provenance other than loaded_at absent from a lean read). */
export interface RecordAsOf {
  record_id: number; subject_uscc: string; category: CategoryId; natural_key: string; event_date: string | null;
  fields: Record<string, unknown>; version: number; content_hash: string; batch_id: string; source_unit: string; delivered_by: string;
  source_line: number; received_at: string; loaded_at: string; schema_version: string;
}

// loaded_at even in a lean read: the revocation rule (store/authorisations.ts) judges a version by it.
const LEAN = `category, natural_key, subject_uscc, version, content_hash, batch_id, ${utcIso('loaded_at')}`;
const PROVENANCE = `event_date::text AS event_date, source_unit, delivered_by, source_line, ${utcIso('received_at')}, schema_version`;

/**
 * The version of every record of these enterprises that was in effect at `cutoff`: the current row
 * when it was loaded by then, otherwise the history row loaded by then and superseded after it.
 * Records are never deleted, so this is exactly what a read at `cutoff` would have returned.
 * A bulk evaluation asks for less: no provenance.
 */
export async function recordsAsOf(db: Db, usccs: readonly string[], cutoff: string, o: { provenance?: boolean } = {}): Promise<RecordAsOf[]> {
  if (usccs.length === 0) return [];
  const cols = `${LEAN}, fields${o.provenance === false ? '' : `, ${PROVENANCE}`}`;
  const { rows } = await db.knex.raw(`
    SELECT id AS record_id, ${cols} FROM credit_records WHERE subject_uscc = ANY(:usccs) AND loaded_at <= :cutoff
    UNION ALL
    SELECT record_id, ${cols} FROM credit_record_versions WHERE subject_uscc = ANY(:usccs) AND loaded_at <= :cutoff AND superseded_at > :cutoff`,
  { usccs: [...usccs], cutoff });
  for (const r of rows) {
    r.record_id = Number(r.record_id);
    r.fields = fromPayload(r.category, r.fields);
  }
  return rows;
}

/**
 * The latest cut-off a read now can be rebuilt at later. A record version is stamped with its batch
 * transaction's start time, so a batch still running when we read, once committed, would carry a
 * time before `now`: the cut-off stays below the start of every transaction in progress in this
 * database (1 ms below, at the millisecond the cut-off is kept to). With one connection (PGlite)
 * nothing else can be in progress.
 */
export async function readableCutoff(db: Db, now: Date): Promise<string> {
  if (db.oneConnection) return now.toISOString();
  const { rows } = await db.knex.raw(`SELECT to_char(min(xact_start) AT TIME ZONE 'UTC' - interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS oldest
    FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL`);
  const oldest: string | null = rows[0]?.oldest ?? null;
  const at = now.toISOString();
  return oldest !== null && oldest < at ? oldest : at;
}

/**
 * Every enterprise with a record loaded by `cutoff`, in USCC order, a page at a time (keyset). Each
 * side of the union takes its own LIMIT: a LIMIT only on the union made every page read all the
 * records after it (quadratic: a 100k-enterprise run slowed to under 180 a second).
 */
export async function* enterprisesAsOf(db: Db, cutoff: string, pageSize = 1000): AsyncGenerator<string[]> {
  let after = '';
  for (;;) {
    const { rows } = await db.knex.raw(`
      (SELECT DISTINCT subject_uscc FROM credit_records WHERE subject_uscc > :after AND loaded_at <= :cutoff ORDER BY subject_uscc LIMIT :n)
      UNION (SELECT DISTINCT subject_uscc FROM credit_record_versions WHERE subject_uscc > :after AND loaded_at <= :cutoff ORDER BY subject_uscc LIMIT :n)
      ORDER BY subject_uscc LIMIT :n`, { after, cutoff, n: pageSize });
    const page = rows.map((r: { subject_uscc: string }) => r.subject_uscc);
    if (page.length) yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1];
  }
}

/** Enterprises whose records these batches inserted or changed (including the version a change replaced). */
export async function enterprisesTouchedBy(db: Db, batchIds: readonly string[]): Promise<string[]> {
  if (batchIds.length === 0) return [];
  const { rows } = await db.knex.raw(`
    SELECT subject_uscc FROM credit_records WHERE batch_id = ANY(:ids::uuid[])
    UNION SELECT subject_uscc FROM credit_record_versions WHERE superseded_by_batch = ANY(:ids::uuid[])
    ORDER BY subject_uscc`, { ids: [...batchIds] });
  return rows.map((r: { subject_uscc: string }) => r.subject_uscc);
}

/** Enterprises with a penalty whose 公示截止期 was `day` (from the next day on it no longer counts). */
export async function enterprisesWithPublicityEnded(db: Db, day: string): Promise<string[]> {
  const { rows } = await db.knex.raw(`SELECT DISTINCT subject_uscc FROM credit_records
    WHERE category = 'penalty' AND ${fieldSql('penalty', 'publicity_end')} = ? ORDER BY subject_uscc`, [day]);
  return rows.map((r: { subject_uscc: string }) => r.subject_uscc);
}

/**
 * Batches loaded since the last evaluation a collection run stored (uploads between runs among them);
 * every loaded batch when no run has evaluated yet.
 */
export async function batchesSinceLastRunEvaluation(db: Db): Promise<string[]> {
  const { rows } = await db.knex.raw(`SELECT id FROM batches WHERE status = 'loaded'
    AND finished_at > COALESCE((SELECT max(computed_at) FROM credit_evaluations WHERE trigger LIKE 'run:%'), '-infinity'::timestamptz)`);
  return rows.map((r: { id: string }) => r.id);
}

/** The batches a collection run committed. */
export async function runBatchIds(db: Db, runId: string): Promise<string[]> {
  const rows = await db.knex('collection_run_batches').select('batch_id').where({ run_id: runId });
  return rows.map((r: { batch_id: string }) => r.batch_id);
}

/**
 * Per category, the last batch finished by `cutoff`: the data of that category are current up to
 * then (the report's 信息截止时间).
 */
export async function categoryCutoffs(db: Db, cutoff: string): Promise<Partial<Record<CategoryId, string>>> {
  const rows = await db.knex('batches').select('category', db.knex.raw(`to_char(max(finished_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last`))
    .where('status', 'loaded').where('finished_at', '<=', cutoff).groupBy('category');
  return Object.fromEntries(rows.map((r: { category: CategoryId; last: string }) => [r.category, r.last]));
}

export interface StoredEvaluation {
  id: number; uscc: string; card_id: string; card_version: string; tier: string; as_of: string; data_cutoff: string;
  computed_at: string; grade: string; score: number | null; input_hash: string; body: string; trigger: string;
}

export interface EvaluationRow {
  readonly uscc: string; readonly cardId: string; readonly cardVersion: string; readonly tier: string; readonly asOf: string;
  readonly dataCutoff: string; readonly grade: string; readonly score: number | null; readonly inputHash: string; readonly body: string;
  readonly trigger: string;
}

export async function storeEvaluations(db: Db, rows: readonly EvaluationRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.knex('credit_evaluations').insert(rows.map((r) => ({
    uscc: r.uscc, card_id: r.cardId, card_version: r.cardVersion, tier: r.tier, as_of: r.asOf, data_cutoff: r.dataCutoff,
    grade: r.grade, score: r.score, input_hash: r.inputHash, body: r.body, trigger: r.trigger,
  })));
}

/** The latest evaluation stored for this enterprise, card version, tier and as-of date. */
export async function storedEvaluation(db: Db, q: { uscc: string; cardId: string; cardVersion: string; tier: string; asOf: string }): Promise<StoredEvaluation | undefined> {
  const k = db.knex;
  const row = await k('credit_evaluations')
    .select(['id', 'uscc', 'card_id', 'card_version', 'tier', 'grade', 'score', 'input_hash', 'body', 'trigger', k.raw('as_of::text AS as_of'),
      k.raw(utcIso('data_cutoff')), k.raw(utcIso('computed_at'))])
    .where({ uscc: q.uscc, card_id: q.cardId, card_version: q.cardVersion, tier: q.tier, as_of: q.asOf })
    .orderBy('id', 'desc').first();
  return row ? { ...row, id: Number(row.id) } : undefined;
}
