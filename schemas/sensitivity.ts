// What the schemas' field sensitivity means for a whole category, worked out in one place for every
// door to the data: the service's masking (api/access.ts), the database roles' views (store/role-views.ts)
// and the alert rules (alerts/classify.ts).
import { categories, type CategoryId, type CategorySpec } from './registry.ts';

/**
 * A category every one of whose fields needs the enterprise's authorisation (water, gas, rnd, agri)
 * is shown only under one; the others are public, with their authorised fields masked without one.
 */
export function isGatedCategory(spec: CategorySpec): boolean {
  return spec.fields.every((f) => f.sensitivity === 'authorised');
}

export const publicCategories = (): CategoryId[] => categories().filter((c) => !isGatedCategory(c)).map((c) => c.id);

/** The annex's 公示截止期: a record past it is no longer shown by default. */
export const PUBLICITY_END_LABEL = '公示截止期';

let publicityEnds: ReadonlyMap<CategoryId, string> | undefined;

/** category -> key of its 公示截止期 field, for the categories that have one (the schemas are fixed: worked out once). */
export function publicityEndFields(): ReadonlyMap<CategoryId, string> {
  if (publicityEnds) return publicityEnds;
  const m = new Map<CategoryId, string>();
  for (const c of categories()) {
    const f = c.fields.find((x) => x.labelZh === PUBLICITY_END_LABEL);
    if (f) m.set(c.id, f.key);
  }
  return (publicityEnds = m);
}

/** Is the record past its category's 公示截止期 on `today` (YYYY-MM-DD)? */
export function pastPublicity(category: CategoryId, fields: Readonly<Record<string, unknown>>, today: string): boolean {
  const key = publicityEndFields().get(category);
  const end = key ? fields[key] : undefined;
  return typeof end === 'string' && end !== '' && end < today;
}
