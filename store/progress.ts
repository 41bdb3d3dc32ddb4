// How far a running batch has got, for the upload page: written outside the batch's transaction
// (its registry row is locked or not yet committed until it ends), at most a few times a second,
// and removed when the batch ends (its registry row then holds the counts).
import type { Logger } from '../lib/logger.ts';
import type { Db } from './db.ts';

const MIN_INTERVAL_MS = 250;

export interface BatchProgress {
  readonly batchId: string;
  readonly rows: number;
  readonly bytes: number;
  readonly totalBytes: number | null;
}

export function progressWriter(db: Db, at: { batchId: string; deliveredBy: string; ref?: string; totalBytes?: number }, log: Logger) {
  let last = 0;
  let writing: Promise<void> = Promise.resolve();
  let pending: { rows: number; bytes: number } | undefined;
  let busy = false;
  const write = (p: { rows: number; bytes: number }) => db.knex('batch_progress')
    .insert({ batch_id: at.batchId, ref: at.ref ?? null, delivered_by: at.deliveredBy, total_bytes: at.totalBytes ?? null, rows: p.rows, bytes: p.bytes, updated_at: db.knex.fn.now() })
    .onConflict('batch_id').merge(['rows', 'bytes', 'updated_at'])
    .then(() => undefined, (err) => log.warn({ err }, 'could not record progress'));
  const flush = () => {
    if (busy || !pending) return;
    const p = pending;
    pending = undefined;
    busy = true;
    last = Date.now();
    writing = write(p).finally(() => {
      busy = false;
    });
  };
  // the row is there from the start, so the page shows the batch before its first rows are counted
  pending = { rows: 0, bytes: 0 };
  flush();
  return {
    update(p: { rows: number; bytes: number }) {
      pending = p;
      if (Date.now() - last >= MIN_INTERVAL_MS) flush();
    },
    async done() {
      await writing;
      await db.knex('batch_progress').where({ batch_id: at.batchId }).del().catch((err) => log.warn({ err }, 'could not clear progress'));
    },
  };
}

const view = (r: { batch_id: string; rows: number | string; bytes: number | string; total_bytes: number | string | null }): BatchProgress => ({
  batchId: r.batch_id, rows: Number(r.rows), bytes: Number(r.bytes), totalBytes: r.total_bytes === null ? null : Number(r.total_bytes),
});

/** A running batch's progress, by its id or by the page's reference for the upload; only the unit's own. */
export async function findProgress(db: Db, by: { batchId?: string; ref?: string }, deliveredBy?: string): Promise<BatchProgress | undefined> {
  const q = db.knex('batch_progress').select('batch_id', 'rows', 'bytes', 'total_bytes');
  if (by.batchId) q.where({ batch_id: by.batchId });
  else if (by.ref) q.where({ ref: by.ref });
  else return undefined;
  if (deliveredBy !== undefined) q.where({ delivered_by: deliveredBy });
  const r = await q.orderBy('updated_at', 'desc').first();
  return r ? view(r) : undefined;
}
