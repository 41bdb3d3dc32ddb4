// The nightly run's re-evaluation of the enterprises its batches touched and of those whose penalty
// publicity ended the day before, stored as the platform's (evaluation/bulk.ts does the evaluating).
import type { Card } from '../evaluation/card.ts';
import { evaluatePages, pagesOf } from '../evaluation/bulk.ts';
import type { Logger } from '../lib/logger.ts';
import type { Db } from '../store/db.ts';
import { batchesSinceLastRunEvaluation, enterprisesTouchedBy, enterprisesWithPublicityEnded, runBatchIds } from '../store/evaluations.ts';

/**
 * The nightly hook, after a collection run's report: re-evaluates and stores, as of today, the
 * enterprises touched by the run's batches and by any batch loaded since the last run's evaluations
 * (clerks' uploads in between), and those whose penalty publicity ended yesterday.
 */
export async function evaluateAfterRun(db: Db, runId: string, o: { card: Card; now: Date; log?: Logger }): Promise<number> {
  const today = o.now.toISOString().slice(0, 10);
  const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  const batches = await Promise.all([runBatchIds(db, runId), batchesSinceLastRunEvaluation(db)]);
  const [touched, ended] = await Promise.all([enterprisesTouchedBy(db, [...new Set(batches.flat())]), enterprisesWithPublicityEnded(db, yesterday)]);
  const usccs = [...new Set([...touched, ...ended])].sort();
  let n = 0;
  for await (const _ of evaluatePages(db, pagesOf(usccs), { card: o.card, asOf: today, now: o.now, store: `run:${runId}` })) n++;
  o.log?.info({ runId, evaluated: n, touched: touched.length, publicityEnded: ended.length, card: `${o.card.id}@${o.card.version}` }, 'enterprises re-evaluated');
  return n;
}
