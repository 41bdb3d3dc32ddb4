// Stamps an accepted record with where it came from, and derives the two values the store keys on:
// the natural key (identity of the fact) and the content hash (has the fact changed?).
import { hash } from 'node:crypto';
import { findProviderUnit, keyPartFields, type CategorySpec, type ProviderUnit } from '../../schemas/registry.ts';
import { makeIssue } from '../issues.ts';
import type { CreditRecord, Fields, RowIssue } from '../types.ts';
import type { SourceHash } from './source-hash.ts';

const valueText = (v: Fields[string] | undefined): string =>
  v === undefined ? '' : Array.isArray(v) ? v.join('、') : String(v);

/** The natural key as one readable string; a literal '|' inside a value is escaped. */
export function naturalKey(spec: CategorySpec, fields: Fields): string {
  return spec.naturalKey.map((part) => {
    // a part with alternatives takes the first field present; the key still has one slot for it
    const k = keyPartFields(part).find((f) => fields[f] !== undefined) ?? '';
    return valueText(fields[k]).replaceAll('\\', '\\\\').replaceAll('|', '\\|');
  }).join('|');
}

/** SHA-256 of the canonical fields in schema order, so equal facts hash equal whatever the column order. */
export function contentHash(spec: CategorySpec, fields: Fields): string {
  let canonical = '';
  for (const f of spec.fields) {
    const v = fields[f.key];
    if (v !== undefined) canonical += `${f.key}\u0000${JSON.stringify(v)}\u0000`;
  }
  return hash('sha256', canonical, 'hex');
}

/**
 * The unit a row's data comes from. Where the category has a 数据提供单位 column the row names it;
 * the deliverer may name itself, or, where it aggregates for other units (the public credit
 * platform), any unit. Everything else is the deliverer's own data.
 */
export function resolveSourceUnit(spec: CategorySpec, fields: Fields, deliverer: ProviderUnit, line: number, column: string | undefined):
  { ok: true; unit: string } | { ok: false; issue: RowIssue } {
  const named = spec.sourceUnitField ? fields[spec.sourceUnitField] : undefined;
  if (typeof named !== 'string') return { ok: true, unit: deliverer.name };
  const known = findProviderUnit(named);
  if (known?.id === deliverer.id) return { ok: true, unit: known.name };
  if (deliverer.onBehalfOf.includes(spec.id)) return { ok: true, unit: known?.name ?? named };
  return {
    ok: false,
    issue: makeIssue('E_SOURCE_UNIT_NOT_PERMITTED', {
      line, field: spec.sourceUnitField, column: column ?? spec.field.get(spec.sourceUnitField!)!.labelZh, value: named,
      detail: `${deliverer.name}只能报送本单位数据`, detailEn: `${deliverer.id} may deliver only its own data`,
    }),
  };
}

export interface StampContext {
  readonly batchId: string;
  readonly deliverer: ProviderUnit;
  readonly receivedAt: string;
}

export function stampRecord(spec: CategorySpec, fields: Fields, sourceUnit: string, line: number, ctx: StampContext, sourceHash: SourceHash | null): CreditRecord {
  const event = spec.eventDate ? fields[spec.eventDate] : undefined;
  return {
    category: spec.id,
    naturalKey: naturalKey(spec, fields),
    subjectUscc: typeof fields.subject_uscc === 'string' ? fields.subject_uscc : null,
    subjectName: fields.subject_name as string,
    eventDate: typeof event === 'string' ? (event.length === 7 ? `${event}-01` : event) : null,
    fields,
    provenance: {
      sourceUnit, deliveredBy: ctx.deliverer.name, batchId: ctx.batchId, sourceLine: line,
      receivedAt: ctx.receivedAt, schemaVersion: spec.version, contentHash: contentHash(spec, fields),
    },
    sourceHash,
  };
}
