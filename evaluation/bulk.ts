// Evaluations in bulk, a page of enterprises at a time: `credit-etl evaluate` (through
// api/governed.ts) and the nightly run (jobs/evaluate.ts). Records are read as of the cut-off; the
// public tier always, the enriched tier only where the platform (or the institution read as) holds
// authorisations in force for its non-public categories; records the revocation rule withholds are
// not read, and each evaluation keeps which (its `lapsed`), so that its rebuild withholds the same.
import { collectedUnderLapsed, lapsedByEnterprise, unionLapsed, type Lapsed } from '../store/authorisations.ts';
import type { Db } from '../store/db.ts';
import { enterprisesAsOf, recordsAsOf, storeEvaluations } from '../store/evaluations.ts';
import type { Card } from './card.ts';
import { defaultCutoff, enrichedAllowed, evaluate, evaluationJson, type EvalRecord, type Evaluation } from './engine.ts';
import { cutoffFor, grantedCategories, toEvalRecord } from './read.ts';

export interface EvaluateOptions {
  readonly card: Card;
  readonly asOf: string;
  readonly now: Date;
  /** Stored as computed (the nightly run, `evaluate --store`), with this trigger. */
  readonly store?: string;
  /** Whose grants decide the enriched tier: an institution's registry id; null or absent, the platform's. */
  readonly institutionId?: string | null;
}

export interface EnterpriseEvaluations {
  readonly uscc: string;
  readonly public: Evaluation;
  readonly enriched: Evaluation | null;
}

/**
 * The revocation rule for a page: as the grants stood at the cut-off, which a stored evaluation keeps
 * and its rebuild applies again; evaluations handed to a reader rather than stored also withhold what
 * has lapsed since (the rule is about serving now).
 */
async function lapsedFor(db: Db, page: readonly string[], cutoff: string, o: EvaluateOptions): Promise<Map<string, Lapsed>> {
  const then = await lapsedByEnterprise(db, page, cutoff);
  if (o.store) return then;
  const now = await lapsedByEnterprise(db, page, o.now.toISOString());
  for (const [uscc, l] of now) then.set(uscc, unionLapsed(then.get(uscc) ?? {}, l));
  return then;
}

/** Evaluates these enterprises (pages of USCCs) as of the date; yields each enterprise's tiers. */
export async function* evaluatePages(db: Db, pages: AsyncIterable<string[]> | Iterable<string[]>, o: EvaluateOptions): AsyncGenerator<EnterpriseEvaluations> {
  const cutoff = await cutoffFor(db, o.asOf, o.now);
  for await (const page of pages) {
    const [rows, grants, lapsed] = await Promise.all([
      recordsAsOf(db, page, cutoff, { provenance: false }), grantedCategories(db, page, o.institutionId ?? null, cutoff), lapsedFor(db, page, cutoff, o),
    ]);
    const byUscc = new Map<string, EvalRecord[]>();
    for (const r of rows) {
      if (collectedUnderLapsed(lapsed.get(r.subject_uscc) ?? {}, { category: r.category, loadedAt: r.loaded_at })) continue;
      const list = byUscc.get(r.subject_uscc);
      if (list) list.push(toEvalRecord(r));
      else byUscc.set(r.subject_uscc, [toEvalRecord(r)]);
    }
    const out: EnterpriseEvaluations[] = [];
    for (const uscc of page) {
      const input = { uscc, asOf: o.asOf, dataCutoff: cutoff, records: byUscc.get(uscc) ?? [], lapsed: lapsed.get(uscc) };
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
