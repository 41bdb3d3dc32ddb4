// Redis is not the source of truth: after a Redis restart without persistence (or a FLUSHALL) the
// ledger still lists runs as running whose jobs are gone. The reconciler finds them and enqueues what
// is missing: the report job, with a child for every source that has not finished. Sources that
// finished stay finished; a source caught mid-way resumes from its committed cursor.
import type { Queue } from 'bullmq';
import type { Logger } from '../lib/logger.ts';
import type { Db } from '../store/db.ts';
import { runFlow, type FlowDeps } from './enqueue.ts';
import { unfinishedRuns } from './ledger.ts';
import { jobId, type JobPayloads, type QUEUE } from './queues.ts';

export interface ReconcileDeps extends FlowDeps {
  readonly db: Db;
  readonly log: Logger;
  readonly reportQueue: Queue<JobPayloads[typeof QUEUE.report]>;
}

/** Runs younger than this are left alone: their flow may be on its way into Redis right now. */
export const RECONCILE_MIN_AGE_MS = 60_000;

export async function reconcile(deps: ReconcileDeps, minAgeMs = RECONCILE_MIN_AGE_MS): Promise<{ runId: string; enqueued: string[] }[]> {
  const done: { runId: string; enqueued: string[] }[] = [];
  for (const run of await unfinishedRuns(deps.db, minAgeMs)) {
    if (await deps.reportQueue.getJob(jobId.report(run.runId))) continue;
    // Job ids derive from the run, so a job that reappeared meanwhile is not added twice.
    await deps.flow.add(runFlow(run.runId, run.pendingSourceIds, deps));
    deps.log.warn({ runId: run.runId, sources: run.pendingSourceIds }, 'run had lost its jobs in Redis; re-enqueued from the ledger');
    done.push({ runId: run.runId, enqueued: run.pendingSourceIds });
  }
  return done;
}
