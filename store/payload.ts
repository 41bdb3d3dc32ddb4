// How a record's fields are stored: credit_records.fields (and credit_record_versions.fields) is a jsonb
// array in the category's field order, not an object keyed by field name. The names were a third of
// every payload, and jsonb keeps an entry per key: with the array a first load of 1M penalty rows
// writes 16% less WAL into a heap 23% smaller, and takes 10% less time (bench/RESULTS.md, seventh
// pass). Slot 0 holds _original (the cells as delivered, for converted values) or null; field i
// of the schema's properties is slot i + 1, null when the record has none. A new schema version may
// only append fields (store/payload.test.ts holds the order), so a slot never changes meaning.
import { category, type CategoryId, type CategorySpec } from '../schemas/registry.ts';
import type { Fields, FieldValue } from '../pipelines/types.ts';

const ORIGINALS_SLOT = 0;
const ORIGINALS = '_original';

const slots = new Map<CategoryId, ReadonlyMap<string, number>>();

function slotsOf(spec: CategorySpec): ReadonlyMap<string, number> {
  let m = slots.get(spec.id);
  if (!m) {
    m = new Map([[ORIGINALS, ORIGINALS_SLOT], ...spec.fields.map((f, i) => [f.key, i + 1] as const)]);
    slots.set(spec.id, m);
  }
  return m;
}

/** The keys a category's payload holds (_original and its fields), in slot order. */
export const payloadKeys = (c: CategoryId): readonly string[] => [...slotsOf(category(c)).keys()];

/** The slot of a field (or of _original) in the category's payload. */
export function slotOf(c: CategoryId, key: string): number {
  const slot = slotsOf(category(c)).get(key);
  if (slot === undefined) throw new Error(`${c} has no field ${key}`);
  return slot;
}

/**
 * A field of a record as SQL: its text, or its jsonb; SQL NULL where the record has none, as a missing
 * key of an object gave (an empty slot is JSON null, which `->` would return as a jsonb value).
 * `record` is the column's qualifier ('r.' for `r.fields`), or a whole jsonb expression in parentheses.
 */
const payloadOf = (record: string) => (record.startsWith('(') ? record : `${record}fields`);

export function fieldSql(c: CategoryId, key: string, record = '', as: 'text' | 'json' = 'text'): string {
  const source = payloadOf(record);
  return as === 'text' ? `${source}->>${slotOf(c, key)}` : `NULLIF(${source}->${slotOf(c, key)}, 'null'::jsonb)`;
}

/** A field as SQL across several categories, keyed on the row's `category`; null where a category lacks it. */
export function anyCategoryFieldSql(cs: readonly CategoryId[], key: string, record = ''): string {
  const holding = cs.filter((c) => slotsOf(category(c)).has(key));
  if (holding.length === 0) return 'NULL::text';
  return `CASE ${record}category ${holding.map((c) => `WHEN '${c}' THEN ${fieldSql(c, key, record)}`).join(' ')} END`;
}

/** A payload built in SQL from an SQL expression (jsonb, or text) per field key; the other slots null. */
export function payloadSql(c: CategoryId, values: Readonly<Record<string, string>>): string {
  const slotted = Object.entries(values).map(([k, sql]) => [slotOf(c, k), sql] as const);
  const out: string[] = Array(Math.max(...slotted.map(([slot]) => slot), 0) + 1).fill('NULL');
  for (const [slot, sql] of slotted) out[slot] = sql;
  return `jsonb_build_array(${out.join(', ')})`;
}

/** A payload as a jsonb object keyed by field name (_original among them), in SQL: what the payload replaced. */
export function objectSql(c: CategoryId, record = ''): string {
  return `jsonb_strip_nulls(jsonb_build_object(${[...slotsOf(category(c))].map(([k, slot]) => `'${k}', ${payloadOf(record)}->${slot}`).join(', ')}))`;
}

/** A record's fields as stored (trailing empty slots left out); a key the category lacks is a bug, not data to drop. */
export function toPayload(c: CategoryId, fields: Fields): (FieldValue | null)[] {
  const spec = category(c);
  const originals = fields[ORIGINALS];
  const out: (FieldValue | null)[] = [originals ?? null];
  let last = 0;
  let placed = originals === undefined ? 0 : 1;
  for (const f of spec.fields) {
    const v = fields[f.key];
    out.push(v ?? null);
    if (v !== undefined) {
      last = out.length;
      placed++;
    }
  }
  if (placed !== Object.keys(fields).length) {
    const unknown = Object.keys(fields).filter((k) => !slotsOf(spec).has(k));
    throw new Error(`${spec.id} has no field ${unknown.join(', ')}`);
  }
  out.length = Math.max(last, 1);
  return out;
}

/** A record's fields as the pipeline made them, from the stored payload. */
export function fromPayload(c: CategoryId, payload: readonly unknown[]): Fields {
  const spec = category(c);
  const out: Record<string, FieldValue> = {};
  const n = Math.min(payload.length - 1, spec.fields.length);
  for (let i = 0; i < n; i++) {
    const v = payload[i + 1];
    if (v !== null && v !== undefined) out[spec.fields[i].key] = v as FieldValue;
  }
  const originals = payload[ORIGINALS_SLOT];
  if (originals !== null && originals !== undefined) out[ORIGINALS] = originals as FieldValue;
  return out;
}
