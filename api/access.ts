// What an analyst may see of a record, derived from the schemas' field sensitivity (annex notes:
// 法定代表人证件类型/号码 and the interface-call categories only under the enterprise's authorisation).
import { categories, type CategoryId, type CategorySpec } from '../schemas/registry.ts';

/**
 * A category every one of whose fields needs the enterprise's authorisation (water, gas, rnd, agri)
 * is shown only under one; the others are public, with their authorised fields masked without one.
 */
export function isGatedCategory(spec: CategorySpec): boolean {
  return spec.fields.every((f) => f.sensitivity === 'authorised');
}

export const publicCategories = (): CategoryId[] => categories().filter((c) => !isGatedCategory(c)).map((c) => c.id);

/** Keeps the first and last four characters of a long value (3713**********123X); a short one is starred whole. */
export function maskValue(s: string): string {
  const chars = [...s];
  if (chars.length > 8) return chars.slice(0, 4).join('') + '*'.repeat(chars.length - 8) + chars.slice(-4).join('');
  return '*'.repeat(chars.length);
}

const maskAny = (v: unknown): unknown => (typeof v === 'string' ? maskValue(v) : Array.isArray(v) ? v.map(maskAny) : '***');

/**
 * The record's fields as the viewer may see them. Without an authorisation, every field that is not
 * public is masked; a key the schema does not know (an older schema version) counts as not public.
 */
export function viewFields(spec: CategorySpec, fields: Readonly<Record<string, unknown>>, authorised: boolean): { fields: Record<string, unknown>; masked: string[] } {
  if (authorised) return { fields: { ...fields }, masked: [] };
  const out: Record<string, unknown> = {};
  const masked: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (key === '_original' && typeof value === 'object' && value !== null) {
      // the cells as delivered of converted values: each as visible as the field it belongs to
      const inner = viewFields(spec, value as Record<string, unknown>, false);
      out[key] = inner.fields;
      if (inner.masked.length) masked.push(key);
    } else if (spec.field.get(key)?.sensitivity === 'public') {
      out[key] = value;
    } else {
      out[key] = maskAny(value);
      masked.push(key);
    }
  }
  return { fields: out, masked };
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

export const withheldNote = (spec: CategorySpec) => ({
  category: spec.id,
  labelZh: spec.labelZh,
  reasonZh: `${spec.labelZh}为非公开信用信息（${spec.sharing}），未经企业授权不予提供：该企业对本机构没有在效的${spec.labelZh}授权`,
  reasonEn: `${spec.id} is non-public credit information and is provided only with the enterprise's authorisation; there is none in force for your institution`,
});
