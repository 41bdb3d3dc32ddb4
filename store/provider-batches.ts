// Batches as the service shows them: a provider's own list, and the admin's delete of a batch that
// left nothing in the store.
import type { Db } from './db.ts';
import { getBatch, type BatchRow } from './queries.ts';
import { utcIso as ts } from './sql.ts';


/** The latest batches delivered by one unit (its full name, as batches.delivered_by holds it). */
export async function batchesDeliveredBy(db: Db, deliveredBy: string, limit: number): Promise<BatchRow[]> {
  const k = db.knex;
  return k('batches').select(['*', k.raw(ts('received_at')), k.raw(ts('finished_at'))])
    .where({ delivered_by: deliveredBy }).orderBy('batches.received_at', 'desc').limit(limit);
}

export type DeleteBatchOutcome = { kind: 'deleted'; batch: BatchRow } | { kind: 'not-found' } | { kind: 'has-records'; batch: BatchRow };

/**
 * Deletes a batch and its rejected rows, only when no record or record version in the store came
 * from it (a refused or failed batch, or one whose every row was rejected): the provenance of
 * stored data must stay answerable.
 */
export async function deleteBatch(db: Db, id: string): Promise<DeleteBatchOutcome> {
  const batch = await getBatch(db, id);
  if (!batch) return { kind: 'not-found' };
  return db.knex.transaction(async (trx) => {
    await trx.raw('SELECT 1 FROM batches WHERE id = ? FOR UPDATE', [id]);
    const used = await trx.raw(`SELECT EXISTS (SELECT 1 FROM credit_records WHERE batch_id = :id)
      OR EXISTS (SELECT 1 FROM credit_record_versions WHERE batch_id = :id OR superseded_by_batch = :id) AS used`, { id });
    if (used.rows[0].used) return { kind: 'has-records', batch } as const;
    await trx('batches').where({ id }).delete();
    return { kind: 'deleted', batch } as const;
  });
}
