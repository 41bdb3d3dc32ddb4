// Opening a run: first in the ledger (the source of truth), then as a BullMQ flow with one child per
// source and the report job as parent. Both steps are idempotent for one run id, so a trigger retried
// after a crash between them, or the reconciler, completes the run instead of doubling it.
import { randomBytes } from 'node:crypto';
import type { FlowJob, FlowProducer } from 'bullmq';
import type { Db } from '../store/db.ts';
import { openRun, type RunTrigger } from '../store/ledger.ts';
import { ATTEMPTS, jobId, QUEUE, type JobPayloads } from './queues.ts';

export function newRunId(now = new Date()): string {
  return `run-${now.toISOString().replace(/[-:]|\.\d+/g, '')}-${randomBytes(3).toString('hex')}`;
}

export interface FlowDeps {
  readonly flow: FlowProducer;
  readonly prefix: string;
  readonly retryDelayMs: number;
}

export function retryOptions(deps: Pick<FlowDeps, 'retryDelayMs'>) {
  return { attempts: ATTEMPTS, backoff: { type: 'exponential', delay: deps.retryDelayMs }, removeOnComplete: { age: 7 * 86_400 } } as const;
}

/** A source's job in a run: its id, its retries, and what its parent does when it fails for good. */
export function collectJobOptions(runId: string, sourceId: string, deps: Pick<FlowDeps, 'retryDelayMs'>) {
  // A source that fails for good is recorded in the ledger; the parent still runs and reports it.
  return { jobId: jobId.collect(runId, sourceId), ...retryOptions(deps), ignoreDependencyOnFailure: true };
}

/** The run's flow for these sources (all of them, or the ones the reconciler found missing). */
export function runFlow(runId: string, sourceIds: readonly string[], deps: Pick<FlowDeps, 'prefix' | 'retryDelayMs'>): FlowJob {
  const report: JobPayloads[typeof QUEUE.report] = { runId };
  return {
    name: 'report', queueName: QUEUE.report, prefix: deps.prefix, data: report, opts: { jobId: jobId.report(runId), ...retryOptions(deps) },
    children: sourceIds.map((sourceId) => {
      const data: JobPayloads[typeof QUEUE.collect] = { runId, sourceId };
      return { name: sourceId, queueName: QUEUE.collect, prefix: deps.prefix, data, opts: collectJobOptions(runId, sourceId, deps) };
    }),
  };
}

export async function startRun(db: Db, deps: FlowDeps, run: { id?: string; trigger: RunTrigger; sourceIds: readonly string[] }): Promise<string> {
  const runId = run.id ?? newRunId();
  await openRun(db, { id: runId, trigger: run.trigger, sourceIds: run.sourceIds });
  await deps.flow.add(runFlow(runId, run.sourceIds, deps));
  return runId;
}
