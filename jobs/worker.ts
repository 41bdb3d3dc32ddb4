// The worker process: BullMQ workers for the three collection queues and for queued uploads
// (ingest-upload), the job schedulers, the reconciler on a timer. One job at a time per queue and
// process: collecting is I/O and parsing on a two-core machine, so capacity comes from adding
// processes, which share the queues.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { DelayedError, FlowProducer, Queue, Worker, type Job } from 'bullmq';
import type { CollectionConfig } from '../config/config.ts';
import { DEFAULT_CARD, shippedCard } from '../evaluation/card.ts';
import { failpoint } from '../lib/failpoints.ts';
import type { IngestLimits } from '../pipelines/limits.ts';
import { collectSource, type CollectDeps } from './collect.ts';
import type { SourceCatalog } from './catalog.ts';
import type { QueueConnection } from './connection.ts';
import { startRun, type FlowDeps } from './enqueue.ts';
import { evaluateAfterRun } from './evaluate.ts';
import { describeFailure, forQueue } from './failures.ts';
import { runQueuedUpload } from './ingest-upload.ts';
import { QUEUE, type JobPayloads } from './queues.ts';
import { reconcile, reconcileUploads } from './reconciler.ts';
import { writeRunReport } from './report.ts';
import { installSchedules } from './schedules.ts';

export interface CollectionWorker {
  readonly workers: readonly Worker[];
  readonly queues: { readonly [K in Exclude<keyof JobPayloads, typeof QUEUE.alertDeliver>]: Queue<JobPayloads[K]> };
  /** Graceful: a running source stops after the batch it is loading commits, and another worker resumes it. */
  close(): Promise<void>;
}

/**
 * A scheduled run's id derives from its trigger job (a scheduler's job id is repeat:<scheduler>:<due
 * millis>), so a trigger retried after a crash reopens the same run instead of a second one.
 */
/** No attempt follows this one: a failure now is final. */
const isLastAttempt = (job: Job) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

function scheduledRunId(job: Job): string {
  const id = String(job.id);
  const due = id.startsWith('repeat:') ? Number(id.split(':').pop()) : job.timestamp;
  const at = new Date(due || job.timestamp).toISOString().replace(/[-:]|\.\d+/g, '');
  return `run-${at}-${createHash('sha256').update(id).digest('hex').slice(0, 6)}`;
}

/**
 * With a catalog, the worker runs collection (schedules, sources, run reports) and queued uploads;
 * without one (no sources file), queued uploads only: it takes no collection job it could not run.
 */
export async function startCollectionWorker(deps: Omit<CollectDeps, 'catalog'> & { catalog?: SourceCatalog; cfg: CollectionConfig; conn: QueueConnection; ingestLimits?: IngestLimits }): Promise<CollectionWorker> {
  const { cfg, conn, db, log, catalog } = deps;
  const base = { connection: conn.connection, prefix: conn.prefix };
  const queues = {
    [QUEUE.collect]: new Queue<JobPayloads[typeof QUEUE.collect]>(QUEUE.collect, base),
    [QUEUE.report]: new Queue<JobPayloads[typeof QUEUE.report]>(QUEUE.report, base),
    [QUEUE.trigger]: new Queue<JobPayloads[typeof QUEUE.trigger]>(QUEUE.trigger, base),
    [QUEUE.upload]: new Queue<JobPayloads[typeof QUEUE.upload]>(QUEUE.upload, base),
  };
  const flow = new FlowProducer(base);
  const flowDeps: FlowDeps = { flow, prefix: conn.prefix, retryDelayMs: cfg.retryDelayMs };
  const workerOpts = {
    // Stored on every job it processes: which process did what, on the board and in tests.
    ...base, name: `${hostname()}:${process.pid}`, concurrency: 1, lockDuration: cfg.jobLockMs, stalledInterval: cfg.jobLockMs,
    // A job whose worker died is taken over; twice is an accident, more is a job that kills workers.
    maxStalledCount: 2,
  };

  const collection: Worker[] = [];
  if (catalog) {
    const collect = new Worker<JobPayloads[typeof QUEUE.collect]>(QUEUE.collect, async (job, token, signal) => {
      try {
        return await collectSource({ db, log, catalog }, { ...job.data, lastAttempt: isLastAttempt(job), signal: signal ?? new AbortController().signal });
      } catch (e) {
        const f = describeFailure(e);
        if (f.code === 'E_SOURCE_BUSY') {
          // Not an attempt: wait for the other execution to finish, then run (it will find little to do).
          await job.moveToDelayed(Date.now() + cfg.jobLockMs, token);
          throw new DelayedError();
        }
        throw forQueue(f);
      }
    }, workerOpts);
    const report = new Worker<JobPayloads[typeof QUEUE.report]>(QUEUE.report, async (job) => {
      failpoint('report.start');
      const r = await writeRunReport(db, job.data.runId);
      failpoint('report.written');
      log.info({ runId: r.runId, status: r.status, failed: r.failed }, 'run finished');
      // Measure item 6: what the run changed is re-evaluated at once (a retry re-evaluates again, appending).
      await evaluateAfterRun(db, r.runId, { card: shippedCard(DEFAULT_CARD), now: new Date(), log });
      return { status: r.status };
    }, workerOpts);
    const trigger = new Worker<JobPayloads[typeof QUEUE.trigger]>(QUEUE.trigger, async (job) => {
      const runId = await startRun(db, flowDeps, { id: scheduledRunId(job), trigger: 'schedule', sourceIds: job.data.sourceIds });
      log.info({ runId, sources: job.data.sourceIds }, 'scheduled run opened');
      return { runId };
    }, workerOpts);
    collection.push(collect, report, trigger);
  }
  // An uploaded file: the same ingestion as the in-process upload path, into the batch registered as received.
  const upload = new Worker<JobPayloads[typeof QUEUE.upload]>(QUEUE.upload, async (job) => (
    runQueuedUpload(db, job.data, { log, limits: deps.ingestLimits, lastAttempt: isLastAttempt(job) })
  ), workerOpts);
  const workers = [...collection, upload];
  for (const w of workers) {
    w.on('error', (err) => log.error({ err, queue: w.name }, 'worker error'));
    w.on('failed', (job, err) => log.warn({ queue: w.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'job failed'));
  }
  // Without a listener, BullMQ prints a queue's connection errors (every retry while Redis is down)
  // with console.error, not as JSON log lines.
  for (const q of Object.values(queues)) q.on('error', (err) => log.warn({ err, queue: q.name }, 'queue connection error'));

  const reconcileDeps = { ...flowDeps, db, log, reportQueue: queues[QUEUE.report], collectQueue: queues[QUEUE.collect], uploadQueue: queues[QUEUE.upload] };
  // While Redis is down a pass waits on it; the timer must not stack more passes behind it.
  let ticking = false;
  const tick = async () => {
    if (ticking) return;
    ticking = true;
    try {
      if (catalog) {
        // Schedulers vanish with the rest of Redis; installing is an upsert, so it is safe to repeat.
        if (catalog.sources.length && (await queues[QUEUE.trigger].getJobSchedulersCount()) === 0) {
          await installSchedules(queues[QUEUE.trigger], catalog.sources);
        }
        await reconcile(reconcileDeps, cfg.reconcileEveryMs);
      }
      await reconcileUploads(reconcileDeps, cfg.reconcileEveryMs);
    } catch (err) {
      log.error({ err }, 'reconciler failed; trying again later');
    } finally {
      ticking = false;
    }
  };
  await tick();
  const timer = setInterval(tick, cfg.reconcileEveryMs);
  timer.unref();

  return {
    workers, queues,
    close: async () => {
      clearInterval(timer);
      for (const w of workers) w.cancelAllJobs('worker shutting down');
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([...Object.values(queues).map((q) => q.close()), flow.close()]);
    },
  };
}
