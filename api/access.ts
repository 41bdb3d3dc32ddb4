// What an analyst may see of a record, derived from the schemas' field sensitivity (annex notes:
// 法定代表人证件类型/号码 and the interface-call categories only under the enterprise's authorisation).
import type { CategoryId, CategorySpec } from '../schemas/registry.ts';
import { publicityEndFields } from '../schemas/sensitivity.ts';

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

// Also the alert rules' (alerts/classify.ts), below the service: its home is schemas/sensitivity.ts.
export { pastPublicity } from '../schemas/sensitivity.ts';

export const withheldNote = (spec: CategorySpec) => ({
  category: spec.id,
  labelZh: spec.labelZh,
  reasonZh: `${spec.labelZh}为非公开信用信息（${spec.sharing}），未经企业授权不予提供：该企业对本机构没有在效的${spec.labelZh}授权`,
  reasonEn: `${spec.id} is non-public credit information and is provided only with the enterprise's authorisation; there is none in force for your institution`,
});

export const lapsedNote = (spec: CategorySpec) => ({
  category: spec.id,
  labelZh: spec.labelZh,
  reasonZh: `该企业对平台的${spec.labelZh}归集授权已撤销或到期，依该授权采集的记录不再提供（待企业重新授权）`,
  reasonEn: `the enterprise's authorisation to the platform to collect ${spec.id} was revoked or has expired; records collected under it are no longer provided until it authorises again`,
});
