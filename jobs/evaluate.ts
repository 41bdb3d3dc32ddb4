// Evaluations in bulk: `credit-etl evaluate`, and the nightly run's re-evaluation of the enterprises
// its batches touched and of those whose penalty publicity ended the day before. Records are read
// as of the cut-off a page of enterprises at a time; the public tier always, the enriched tier only
// where the platform holds authorisations in force for its non-public categories.
import type { Card } from '../evaluation/card.ts';
import { defaultCutoff, enrichedAllowed, evaluate, evaluationJson, type EvalRecord, type Evaluation } from '../evaluation/engine.ts';
import { cutoffFor, grantedCategories, toEvalRecord } from '../evaluation/read.ts';
import type { Logger } from '../lib/logger.ts';
import type { Db } from '../store/db.ts';
import { batchesSinceLastRunEvaluation, enterprisesAsOf, enterprisesTouchedBy, enterprisesWithPublicityEnded, recordsAsOf, runBatchIds, storeEvaluations } from '../store/evaluations.ts';

export interface EvaluateOptions {
  readonly card: Card;
  readonly asOf: string;
  readonly now: Date;
  /** Stored as computed (the nightly run, `evaluate --store`), with this trigger. */
  readonly store?: string;
}

export interface EnterpriseEvaluations {
  readonly uscc: string;
  readonly public: Evaluation;
  readonly enriched: Evaluation | null;
}

/** Evaluates these enterprises (pages of USCCs) as of the date; yields each enterprise's tiers. */
export async function* evaluatePages(db: Db, pages: AsyncIterable<string[]> | Iterable<string[]>, o: EvaluateOptions): AsyncGenerator<EnterpriseEvaluations> {
  const cutoff = await cutoffFor(db, o.asOf, o.now);
  for await (const page of pages) {
    const [rows, grants] = await Promise.all([recordsAsOf(db, page, cutoff, { provenance: false }), grantedCategories(db, page, null, cutoff)]);
    const byUscc = new Map<string, EvalRecord[]>();
    for (const r of rows) {
      const list = byUscc.get(r.subject_uscc);
      if (list) list.push(toEvalRecord(r));
      else byUscc.set(r.subject_uscc, [toEvalRecord(r)]);
    }
    const out: EnterpriseEvaluations[] = [];
    for (const uscc of page) {
      const input = { uscc, asOf: o.asOf, dataCutoff: cutoff, records: byUscc.get(uscc) ?? [] };
      const enriched = enrichedAllowed(o.card, grants.get(uscc) ?? new Set()) ? evaluate(o.card, 'enriched', input) : null;
      out.push({ uscc, public: evaluate(o.card, 'public', input), enriched });
    }
    if (o.store) {
      await storeEvaluations(db, out.flatMap((e) => [e.public, ...(e.enriched ? [e.enriched] : [])]).map((e) => ({
        uscc: e.uscc, cardId: e.card.id, cardVersion: e.card.version, tier: e.tier, asOf: e.asOf, dataCutoff: e.dataCutoff,
        grade: e.grade, score: e.score, inputHash: e.inputHash, body: evaluationJson(e), trigger: o.store!,
      })));
    }
    yield* out;
  }
}

/** Every enterprise with records by the cut-off (the end of that day, or now for today). */
export const allEnterprises = (db: Db, asOf: string, now: Date, pageSize?: number) => enterprisesAsOf(db, defaultCutoff(asOf, now), pageSize);

export function* pagesOf(usccs: readonly string[], size = 1000): Generator<string[]> {
  for (let i = 0; i < usccs.length; i += size) yield usccs.slice(i, i + size);
}

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
