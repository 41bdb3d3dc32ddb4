// One source within one run, below the queue: the same code runs in a BullMQ worker and in-process
// (`credit-etl run` without REDIS_URL). It keeps the ledger's source status, holds the source's lock
// while the connector runs, and classifies a failure as final or to be retried.
import { failpoint } from '../lib/failpoints.ts';
import type { Logger } from '../lib/logger.ts';
import type { Db } from '../store/db.ts';
import { resolveSource, type SourceCatalog } from './catalog.ts';
import { describeFailure, SourceBusyError, type FailureInfo } from './failures.ts';
import { markFinished, markStarted, sourceStatus } from '../store/ledger.ts';
import { runSource, type SourceRunResult } from './run-source.ts';
import { tryLockSource } from '../store/source-locks.ts';

export interface CollectDeps {
  readonly db: Db;
  readonly log: Logger;
  readonly catalog: SourceCatalog;
}

export interface CollectRequest {
  readonly runId: string;
  readonly sourceId: string;
  /** No attempt follows this one, whatever the error. */
  readonly lastAttempt: boolean;
  readonly signal: AbortSignal;
}

export type CollectResult = SourceRunResult & { readonly skipped: boolean };

/** Throws the failure (with its code and retryable) after recording it; SourceBusyError records nothing. */
export async function collectSource(deps: CollectDeps, req: CollectRequest): Promise<CollectResult> {
  const { db } = deps;
  const log = deps.log.child({ runId: req.runId, connector: req.sourceId });
  // A re-enqueued job of a source that finished in this run (the reconciler raced its last commit).
  if ((await sourceStatus(db, req.runId, req.sourceId)) === 'succeeded') return { batches: 0, rows: 0, skipped: true };
  const release = await tryLockSource(db, req.sourceId);
  if (!release) throw new SourceBusyError(`source ${req.sourceId} is being collected by another execution`);
  try {
    await markStarted(db, req.runId, req.sourceId);
    failpoint('collect.started');
    const { source, connector } = resolveSource(deps.catalog, req.sourceId);
    const result = await runSource(source, connector, { db, log, runId: req.runId, signal: req.signal, env: deps.catalog.env, budgets: deps.catalog.budgets });
    await markFinished(db, req.runId, req.sourceId, { status: 'succeeded' });
    log.info(result, 'source collected');
    failpoint('collect.succeeded');
    return { ...result, skipped: false };
  } catch (e) {
    const f: FailureInfo = describeFailure(e);
    const final = !f.retryable || req.lastAttempt;
    await markFinished(db, req.runId, req.sourceId, { status: final ? 'failed' : 'retrying', code: f.code, message: f.message });
    log[final ? 'error' : 'warn']({ code: f.code, err: e }, final ? 'source failed' : 'source failed, will retry');
    throw e;
  } finally {
    await release();
  }
}
