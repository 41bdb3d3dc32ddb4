// Queued uploads as the batch registry keeps them: a batch registered as `received`, with the upload's
// payload beside it (batches.upload), until a worker loads it. The payload's shape belongs to ingest/;
// the store keeps it as given.
import type { BatchStatus } from './batch-status.ts';
import type { Db } from './db.ts';

/** The batch's registry status, or undefined once an admin deleted it. */
export async function batchStatus(db: Db, batchId: string): Promise<BatchStatus | undefined> {
  const row = await db.knex('batches').where({ id: batchId }).first('status');
  return row?.status;
}

/** Uploads still `received` that were registered more than minAgeMs ago, with their payloads. */
export async function waitingUploads<U>(db: Db, minAgeMs: number): Promise<{ batchId: string; receivedAt: string; upload: U }[]> {
  const rows: { id: string; received_at: Date | string; upload: U }[] = await db.knex('batches')
    .where({ status: 'received' }).whereNotNull('upload')
    .where('received_at', '<', new Date(Date.now() - minAgeMs).toISOString())
    .select('id', 'received_at', 'upload');
  return rows.map((b) => ({ batchId: b.id, receivedAt: new Date(b.received_at).toISOString(), upload: b.upload }));
}
