// The admin's delete of a batch that left nothing in the store (a provider's own list is
// listBatches in queries.ts).
import type { Db } from './db.ts';
import { getBatch, type BatchRow } from './queries.ts';

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
