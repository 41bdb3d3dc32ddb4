// Redis is not the source of truth: after a Redis restart without persistence (or a FLUSHALL) the
// ledger still lists runs as running whose jobs are gone. The reconciler finds them and enqueues what
// is missing: the whole flow when the report job is gone (a child for every source that has not
// finished), or just the missing children when the report job survived and waits for them. Sources
// that finished stay finished; a source caught mid-way resumes from its committed cursor.
import type { Queue } from 'bullmq';
import type { StoredUpload } from '../ingest/upload.ts';
import type { Logger } from '../lib/logger.ts';
import type { Db } from '../store/db.ts';
import { waitingUploads } from '../store/received-uploads.ts';
import { collectJobOptions, runFlow, type FlowDeps } from './enqueue.ts';
import { uploadJobOptions } from './ingest-upload.ts';
import { unfinishedRuns } from '../store/ledger.ts';
import { jobId, QUEUE, type JobPayloads } from './queues.ts';

export interface ReconcileDeps extends FlowDeps {
  readonly db: Db;
  readonly log: Logger;
  readonly reportQueue: Queue<JobPayloads[typeof QUEUE.report]>;
  readonly collectQueue: Queue<JobPayloads[typeof QUEUE.collect]>;
}

/** Runs younger than minAgeMs (the worker passes CREDIT_ETL_RECONCILE_MS) are left alone: their flow may be on its way into Redis right now. */
export async function reconcile(deps: ReconcileDeps, minAgeMs: number): Promise<{ runId: string; enqueued: string[] }[]> {
  const done: { runId: string; enqueued: string[] }[] = [];
  for (const run of await unfinishedRuns(deps.db, minAgeMs)) {
    const parent = await deps.reportQueue.getJob(jobId.report(run.runId));
    let enqueued: string[];
    if (!parent) {
      // Job ids derive from the run, so a job that reappeared meanwhile is not added twice.
      await deps.flow.add(runFlow(run.runId, run.pendingSourceIds, deps));
      enqueued = run.pendingSourceIds;
    } else if ((await parent.getState()) === 'waiting-children') {
      enqueued = [];
      for (const sourceId of run.pendingSourceIds) {
        if (await deps.collectQueue.getJob(jobId.collect(run.runId, sourceId))) continue;
        await deps.collectQueue.add(sourceId, { runId: run.runId, sourceId }, {
          ...collectJobOptions(run.runId, sourceId, deps), parent: { id: parent.id!, queue: parent.queueQualifiedName },
        });
        enqueued.push(sourceId);
      }
      if (!enqueued.length) continue;
    } else {
      continue;
    }
    deps.log.warn({ runId: run.runId, sources: enqueued }, 'run had lost jobs in Redis; re-enqueued from the ledger');
    done.push({ runId: run.runId, enqueued });
  }
  return done;
}

/**
 * Queued uploads the same way: a batch still `received` (registered, not yet loaded) whose job Redis
 * no longer has is enqueued again from the payload kept with it. One whose job is waiting, running
 * or waiting for a retry is left alone.
 */
export async function reconcileUploads(deps: Pick<ReconcileDeps, 'db' | 'log' | 'retryDelayMs'> & { readonly uploadQueue: Queue<JobPayloads[typeof QUEUE.upload]> }, minAgeMs: number): Promise<string[]> {
  const enqueued: string[] = [];
  for (const { batchId, receivedAt, upload } of await waitingUploads<StoredUpload>(deps.db, minAgeMs)) {
    if (await deps.uploadQueue.getJob(jobId.upload(batchId))) continue;
    await deps.uploadQueue.add(QUEUE.upload, { batchId, receivedAt, upload }, uploadJobOptions(batchId, deps.retryDelayMs));
    enqueued.push(batchId);
  }
  if (enqueued.length) deps.log.warn({ batches: enqueued }, 'queued uploads had lost their jobs in Redis; re-enqueued from the batch registry');
  return enqueued;
}
