// A run without Redis (`credit-etl run` when REDIS_URL is unset, `npm start`): the same ledger,
// the same collectSource and the same report as the queue, the sources one after the other, and
// transient failures retried here with the queue's attempts and backoff; then, as after a queued
// run, the enterprises the run touched are re-evaluated.
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_CARD, shippedCard } from '../evaluation/card.ts';
import type { CollectDeps } from './collect.ts';
import { collectSource } from './collect.ts';
import { newRunId } from './enqueue.ts';
import { evaluateAfterRun } from './evaluate.ts';
import { describeFailure } from './failures.ts';
import { markFinished, openRun } from '../store/ledger.ts';
import { ATTEMPTS } from './queues.ts';
import { writeRunReport, type RunReport } from './report.ts';

export async function runInProcess(deps: CollectDeps, run: { sourceIds: readonly string[]; retryDelayMs: number; signal?: AbortSignal }): Promise<RunReport> {
  const runId = newRunId();
  const signal = run.signal ?? new AbortController().signal;
  await openRun(deps.db, { id: runId, trigger: 'manual', sourceIds: run.sourceIds });
  for (const sourceId of run.sourceIds) {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await collectSource(deps, { runId, sourceId, lastAttempt: attempt === ATTEMPTS, signal });
        break;
      } catch (e) {
        const f = describeFailure(e);
        if (!f.retryable || attempt === ATTEMPTS || signal.aborted) {
          // collectSource records the failure of an attempt it started; one that never started (the
          // source busy to the end, the ledger or the lock unreachable) is recorded only here.
          await markFinished(deps.db, runId, sourceId, { status: 'failed', code: f.code, message: f.message });
          break;
        }
        await sleep(run.retryDelayMs * 2 ** (attempt - 1));
      }
    }
  }
  const report = await writeRunReport(deps.db, runId);
  await evaluateAfterRun(deps.db, runId, { card: shippedCard(DEFAULT_CARD), now: new Date(), log: deps.log });
  return report;
}
