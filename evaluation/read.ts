// Evaluations as one reader sees them, from the store: the record versions at a cut-off, the
// reader's grants, and a past date rebuilt to the cut-off of the evaluation stored for it. Shared by
// the service, the command line and the nightly run (the engine and the report stay pure).
import type { CategoryId } from '../schemas/registry.ts';
import { authorisationsInForce } from '../store/authorisations.ts';
import type { Db } from '../store/db.ts';
import { readableCutoff, recordsAsOf, storedEvaluation, type RecordAsOf } from '../store/evaluations.ts';
import type { Card, TierId } from './card.ts';
import { defaultCutoff, enrichedAllowed, evaluate, type EvalRecord, type Evaluation } from './engine.ts';

export const toEvalRecord = (r: RecordAsOf): EvalRecord => ({
  id: r.record_id, version: r.version, category: r.category, naturalKey: r.natural_key, batchId: r.batch_id, contentHash: r.content_hash, fields: r.fields,
});

/** Per enterprise, the categories covered by grants in force at `at` for the recipient (an institution's registry id; null: the platform). */
export async function grantedCategories(db: Db, usccs: readonly string[], institutionId: string | null, at: string): Promise<Map<string, Set<CategoryId>>> {
  const out = new Map<string, Set<CategoryId>>();
  if (usccs.length === 0) return out;
  for (const g of await authorisationsInForce(db, { enterpriseUscc: usccs, institutionId, at })) {
    let s = out.get(g.enterprise_uscc);
    if (!s) out.set(g.enterprise_uscc, (s = new Set()));
    for (const c of g.categories) s.add(c);
  }
  return out;
}

/** The cut-off of an evaluation as of `asOf` read now: never past what a later rebuild can see the same. */
export async function cutoffFor(db: Db, asOf: string, now: Date): Promise<string> {
  return defaultCutoff(asOf, new Date(await readableCutoff(db, now)));
}

/**
 * An evaluation as of a past date, rebuilt from the record history: up to the cut-off of the one
 * stored for that date when there is one (so it equals what was stored), else to the end of the day.
 */
export async function rebuildEvaluation(db: Db, card: Card, uscc: string, tier: TierId, asOf: string, now: Date): Promise<{ evaluation: Evaluation; stored: string | null }> {
  const stored = await storedEvaluation(db, { uscc, cardId: card.id, cardVersion: card.version, tier, asOf });
  const cutoff = stored?.data_cutoff ?? await cutoffFor(db, asOf, now);
  const records = (await recordsAsOf(db, [uscc], cutoff)).map(toEvalRecord);
  return { evaluation: evaluate(card, tier, { uscc, asOf, dataCutoff: cutoff, records }), stored: stored?.body ?? null };
}

/**
 * One enterprise as a reader sees it: the public tier, and the enriched tier when the reader's
 * grants in force now cover its non-public categories. Today is read up to now (readableCutoff); a past date is
 * rebuilt (equal to what was stored for it, when something was).
 */
export async function evaluateForReader(db: Db, q: { card: Card; uscc: string; asOf: string; now: Date; institutionId: string | null }) {
  const at = q.now.toISOString();
  const grants = (await grantedCategories(db, [q.uscc], q.institutionId, at)).get(q.uscc) ?? new Set<CategoryId>();
  const allowed = enrichedAllowed(q.card, grants);
  const granted = [...grants].sort();
  if (q.asOf !== at.slice(0, 10)) {
    const past = (tier: TierId) => rebuildEvaluation(db, q.card, q.uscc, tier, q.asOf, q.now).then((r) => r.evaluation);
    const [pub, enriched] = await Promise.all([past('public'), allowed ? past('enriched') : null]);
    return { public: pub, enriched, granted };
  }
  const cutoff = await readableCutoff(db, q.now);
  const input = { uscc: q.uscc, asOf: q.asOf, dataCutoff: cutoff, records: (await recordsAsOf(db, [q.uscc], cutoff)).map(toEvalRecord) };
  return { public: evaluate(q.card, 'public', input), enriched: allowed ? evaluate(q.card, 'enriched', input) : null, granted };
}
