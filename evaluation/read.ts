// Evaluations as one reader sees them, from the store: the record versions at a cut-off, the
// reader's grants, the revocation rule, and a past date rebuilt to the cut-off of the evaluation
// stored for it. Shared by the service and the command line (through api/governed.ts) and the
// nightly run (the engine and the report stay pure).
import type { CategoryId } from '../schemas/registry.ts';
import { authorisationsInForce, collectedUnderLapsed, lapsedByEnterprise, unionLapsed, type Lapsed } from '../store/authorisations.ts';
import type { Db } from '../store/db.ts';
import { readableCutoff, recordsAsOf, storedEvaluation, type RecordAsOf } from '../store/evaluations.ts';
import type { Card, TierId } from './card.ts';
import { defaultCutoff, enrichedAllowed, evaluate, type EvalRecord, type Evaluation } from './engine.ts';

export const toEvalRecord = (r: RecordAsOf): EvalRecord => ({
  id: r.record_id, version: r.version, category: r.category, naturalKey: r.natural_key, batchId: r.batch_id, contentHash: r.content_hash, fields: r.fields,
});

/** The versions the revocation rule lets anyone read. */
const servable = (rows: readonly RecordAsOf[], lapsed: Lapsed): RecordAsOf[] =>
  rows.filter((r) => !collectedUnderLapsed(lapsed, { category: r.category, loadedAt: r.loaded_at }));

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
 * The revocation rule is the one the stored evaluation applied (kept in its `lapsed`), not the grants'
 * state now: a grant recorded later with an earlier start, or renewed since, would otherwise change
 * the rebuild. Without a stored one, the rule as the grants stand at the cut-off. `alsoLapsed` (what
 * the rule withholds now) is withheld as well when the evaluation is served rather than verified.
 */
export async function rebuildEvaluation(db: Db, card: Card, uscc: string, tier: TierId, asOf: string, now: Date, alsoLapsed: Lapsed = {}): Promise<{ evaluation: Evaluation; stored: string | null }> {
  const stored = await storedEvaluation(db, { uscc, cardId: card.id, cardVersion: card.version, tier, asOf });
  const cutoff = stored?.data_cutoff ?? await cutoffFor(db, asOf, now);
  const then = stored ? (JSON.parse(stored.body) as Evaluation).lapsed ?? {} : (await lapsedByEnterprise(db, [uscc], cutoff)).get(uscc) ?? {};
  const lapsed = unionLapsed(then, alsoLapsed);
  const records = servable(await recordsAsOf(db, [uscc], cutoff), lapsed).map(toEvalRecord);
  return { evaluation: evaluate(card, tier, { uscc, asOf, dataCutoff: cutoff, records, lapsed }), stored: stored?.body ?? null };
}

/**
 * One enterprise as a reader sees it: the public tier, and the enriched tier when the reader's
 * grants in force now cover its non-public categories; nothing the revocation rule withholds now.
 * Today is read up to now (readableCutoff); a past date is rebuilt (equal to what was stored for it,
 * when something was, unless a collection it read has lapsed since: that is withheld too).
 */
export async function evaluateForReader(db: Db, q: { card: Card; uscc: string; asOf: string; now: Date; institutionId: string | null }) {
  const at = q.now.toISOString();
  const [grantMap, lapsedMap] = await Promise.all([grantedCategories(db, [q.uscc], q.institutionId, at), lapsedByEnterprise(db, [q.uscc], at)]);
  const grants = grantMap.get(q.uscc) ?? new Set<CategoryId>();
  const lapsed = lapsedMap.get(q.uscc) ?? {};
  const allowed = enrichedAllowed(q.card, grants);
  const granted = [...grants].sort();
  if (q.asOf !== at.slice(0, 10)) {
    const past = (tier: TierId) => rebuildEvaluation(db, q.card, q.uscc, tier, q.asOf, q.now, lapsed).then((r) => r.evaluation);
    const [pub, enriched] = await Promise.all([past('public'), allowed ? past('enriched') : null]);
    return { public: pub, enriched, granted };
  }
  const cutoff = await readableCutoff(db, q.now);
  const records = servable(await recordsAsOf(db, [q.uscc], cutoff), lapsed).map(toEvalRecord);
  const input = { uscc: q.uscc, asOf: q.asOf, dataCutoff: cutoff, records, lapsed };
  return { public: evaluate(q.card, 'public', input), enriched: allowed ? evaluate(q.card, 'enriched', input) : null, granted };
}
