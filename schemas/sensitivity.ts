// What the schemas say about who may see a category and for how long: a category is non-public
// when every field of it needs the enterprise's authorisation, and a record past its 公示截止期 is no
// longer published. The service's access rules (api/access.ts) and the alert rules (alerts/) both ask here.
import { categories, type CategoryId, type CategorySpec } from './registry.ts';

/**
 * A category every one of whose fields needs the enterprise's authorisation (water, gas, rnd, agri)
 * is shown only under one; the others are public, with their authorised fields masked without one.
 */
export function isGatedCategory(spec: CategorySpec): boolean {
  return spec.fields.every((f) => f.sensitivity === 'authorised');
}

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

export function pastPublicity(category: CategoryId, fields: Readonly<Record<string, unknown>>, today: string): boolean {
  const key = publicityEndFields().get(category);
  const end = key ? fields[key] : undefined;
  return typeof end === 'string' && end !== '' && end < today;
}
