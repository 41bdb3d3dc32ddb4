// The run ledger in PostgreSQL: runs, each source's status within a run, the batches a source
// loaded, and each source's cursor. Redis only carries the work; whatever Redis forgets, this
// ledger still says what is done and what is not (the reconciler re-enqueues from it).
import type { BatchCounts } from '../pipelines/types.ts';
import type { Knex } from 'knex';
import type { JsonValue } from '../connectors/types.ts';
import type { Db } from './db.ts';
import { utcIso } from './sql.ts';

export type RunTrigger = 'schedule' | 'manual';
export type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed';
export type SourceStatus = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed';

const FINISHED: readonly SourceStatus[] = ['succeeded', 'failed'];

/** Opens a run for these sources; opening the same run id again changes nothing. */
export async function openRun(db: Db, run: { id: string; trigger: RunTrigger; sourceIds: readonly string[] }): Promise<void> {
  await db.knex.transaction(async (trx) => {
    await trx('collection_runs').insert({ id: run.id, trigger: run.trigger, status: 'running' }).onConflict('id').ignore();
    if (run.sourceIds.length) {
      await trx('collection_run_sources').insert(run.sourceIds.map((s) => ({ run_id: run.id, source_id: s, status: 'queued' })))
        .onConflict(['run_id', 'source_id']).ignore();
    }
  });
}

export async function sourceStatus(db: Db, runId: string, sourceId: string): Promise<SourceStatus | undefined> {
  const row = await db.knex('collection_run_sources').where({ run_id: runId, source_id: sourceId }).first('status');
  return row?.status;
}

export async function markStarted(db: Db, runId: string, sourceId: string): Promise<void> {
  await db.knex('collection_run_sources').where({ run_id: runId, source_id: sourceId })
    .update({ status: 'running', attempts: db.knex.raw('attempts + 1'), started_at: db.knex.fn.now() });
}

export async function markFinished(db: Db, runId: string, sourceId: string, outcome:
  | { status: 'succeeded' }
  | { status: 'retrying' | 'failed'; code: string; message: string }): Promise<void> {
  const error = outcome.status === 'succeeded' ? { error_code: null, error: null } : { error_code: outcome.code, error: outcome.message.slice(0, 2000) };
  await db.knex('collection_run_sources').where({ run_id: runId, source_id: sourceId })
    .update({ status: outcome.status, ...error, finished_at: outcome.status === 'retrying' ? null : db.knex.fn.now() });
}

export async function readCursor(db: Db, sourceId: string): Promise<JsonValue | undefined> {
  const row = await db.knex('connector_cursors').where({ source_id: sourceId }).first('cursor');
  return row?.cursor;
}

async function writeCursor(q: Knex | Knex.Transaction, c: { runId: string; sourceId: string; batchId: string | null; cursor: JsonValue }): Promise<void> {
  await q('connector_cursors')
    .insert({ source_id: c.sourceId, cursor: JSON.stringify(c.cursor), run_id: c.runId, batch_id: c.batchId, updated_at: q.fn.now() })
    .onConflict('source_id').merge();
}

/**
 * Called inside the batch's transaction: the ledger line and the cursor commit with the rows, or not
 * at all. `cursor` undefined keeps the previous one (rows after the last checkpoint, a refused batch).
 */
export async function recordBatch(trx: Knex.Transaction, b: { runId: string; sourceId: string; batchId: string; rowsYielded: number; cursor: JsonValue | undefined }): Promise<void> {
  await trx('collection_run_batches').insert({
    batch_id: b.batchId, run_id: b.runId, source_id: b.sourceId, rows_yielded: b.rowsYielded,
    cursor_after: b.cursor === undefined ? null : JSON.stringify(b.cursor),
  });
  if (b.cursor !== undefined) await writeCursor(trx, { ...b, cursor: b.cursor });
}

/** A checkpoint with no rows before it (nothing new since the last one) still moves the cursor. */
export function advanceCursor(db: Db, c: { runId: string; sourceId: string; cursor: JsonValue }): Promise<void> {
  return writeCursor(db.knex, { ...c, batchId: null });
}

export interface SourceLedger extends BatchCounts {
  readonly sourceId: string;
  readonly status: SourceStatus;
  readonly attempts: number;
  readonly errorCode: string | null;
  readonly error: string | null;
  readonly batches: number;
  readonly rowsYielded: number;
}

const COUNTS = ['read', 'accepted', 'rejected', 'inserted', 'updated', 'unchanged', 'duplicates'] as const;

/** Each source of a run with the summed counts of the batches it committed in that run. */
export async function runSources(db: Db, runId: string): Promise<SourceLedger[]> {
  const { rows } = await db.knex.raw(`
    SELECT s.source_id, s.status, s.attempts, s.error_code, s.error,
      count(b.id)::int AS batches, coalesce(sum(l.rows_yielded), 0)::int AS rows_yielded,
      ${COUNTS.map((c) => `coalesce(sum(b.${c}), 0)::int AS ${c}`).join(', ')}
    FROM collection_run_sources s
    LEFT JOIN collection_run_batches l ON l.run_id = s.run_id AND l.source_id = s.source_id
    LEFT JOIN batches b ON b.id = l.batch_id
    WHERE s.run_id = ?
    GROUP BY s.source_id, s.status, s.attempts, s.error_code, s.error
    ORDER BY s.source_id`, [runId]);
  return rows.map((r: any) => ({
    sourceId: r.source_id, status: r.status, attempts: r.attempts, errorCode: r.error_code, error: r.error,
    batches: r.batches, rowsYielded: r.rows_yielded, ...Object.fromEntries(COUNTS.map((c) => [c, r[c]])),
  }) as SourceLedger);
}

export async function finishRun(db: Db, runId: string, status: Exclude<RunStatus, 'running'>, report: unknown): Promise<void> {
  await db.knex('collection_runs').where({ id: runId }).update({ status, report: JSON.stringify(report), finished_at: db.knex.fn.now() });
}

export interface RunRow {
  readonly id: string;
  readonly trigger: RunTrigger;
  readonly status: RunStatus;
  readonly created_at: string;
  readonly finished_at: string | null;
  readonly report: unknown;
}

const ts = (col: string) => utcIso(col, { milliseconds: false });
const runColumns = (db: Db) => ['id', 'trigger', 'status', 'report', db.knex.raw(ts('created_at')), db.knex.raw(ts('finished_at'))];

export async function getRun(db: Db, runId: string): Promise<RunRow | undefined> {
  return db.knex('collection_runs').where({ id: runId }).first(runColumns(db));
}

export async function listRuns(db: Db, limit: number): Promise<RunRow[]> {
  return db.knex('collection_runs').select(runColumns(db)).orderBy('created_at', 'desc').limit(limit);
}

/** Runs the ledger still calls running (opened at least minAgeMs ago), with their sources that have not finished. */
export async function unfinishedRuns(db: Db, minAgeMs: number): Promise<{ runId: string; pendingSourceIds: string[] }[]> {
  const rows = await db.knex('collection_runs as r').leftJoin('collection_run_sources as s', function join() {
    this.on('s.run_id', 'r.id').andOnNotIn('s.status', FINISHED as string[]);
  }).where('r.status', 'running').where('r.created_at', '<=', db.knex.raw(`now() - make_interval(secs => ?)`, [minAgeMs / 1000]))
    .select('r.id', 's.source_id').orderBy(['r.id', 's.source_id']);
  const runs = new Map<string, string[]>();
  for (const r of rows) {
    const list = runs.get(r.id) ?? [];
    if (r.source_id) list.push(r.source_id);
    runs.set(r.id, list);
  }
  return [...runs].map(([runId, pendingSourceIds]) => ({ runId, pendingSourceIds }));
}
