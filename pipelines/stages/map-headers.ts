// Header row -> which field each column carries. Unknown columns are kept out of the load with a
// warning; missing required columns refuse the batch with one message naming all of them. An annex
// column that packs several fields (水用户信息(户名户号) …) counts for each of them.
import { categories, resolveComposite, resolveHeader, type CategorySpec, type CompositeSpec, type FieldSpec } from '../../schemas/registry.ts';
import { makeIssue } from '../issues.ts';
import { REPORT_COLUMNS, REPORT_LINE_COLUMN } from '../report.ts';
import type { HeaderMap, RowIssue } from '../types.ts';
import { partColumn } from './composite.ts';

export interface HeaderMapping {
  readonly map: HeaderMap;
  readonly warnings: readonly RowIssue[];
  /** Set when the batch must be refused. */
  readonly refusal: RowIssue | null;
}

export function mapHeaders(spec: CategorySpec, headers: readonly string[]): HeaderMapping {
  const warnings: RowIssue[] = [];
  const loaded: (readonly [number, string])[] = [];
  const composites: (readonly [number, CompositeSpec])[] = [];
  const headerByKey = new Map<string, string>();
  const compositeHeaders = new Set<CompositeSpec>();
  let reportLine: number | undefined;
  const columns: (FieldSpec | undefined)[] = headers.map((h, i) => {
    const header = h.trim();
    if (header === '') return undefined; // Excel leaves empty header cells after the last column
    // A corrected rejection report comes back with our own columns: known, not loaded, no warning.
    if (REPORT_COLUMNS.includes(header) && !resolveHeader(spec, header)) {
      if (header === REPORT_LINE_COLUMN) reportLine ??= i;
      return undefined;
    }
    const field = resolveHeader(spec, header);
    if (!field) {
      const composite = resolveComposite(spec, header);
      if (composite && !compositeHeaders.has(composite)) {
        compositeHeaders.add(composite);
        composites.push([i, composite]);
      } else {
        warnings.push(makeIssue(composite ? 'W_DUPLICATE_COLUMN' : 'W_UNKNOWN_COLUMN', { line: 1, column: header, value: header }));
      }
      return undefined;
    }
    if (headerByKey.has(field.key)) {
      warnings.push(makeIssue('W_DUPLICATE_COLUMN', { line: 1, column: header, field: field.key, value: header }));
      return undefined;
    }
    loaded.push([i, field.key]);
    headerByKey.set(field.key, header);
    return field;
  });
  // A split column wins over the composite's part: the composite names only the fields it alone carries.
  for (const [i, c] of composites) {
    for (const key of c.into) if (!headerByKey.has(key)) headerByKey.set(key, partColumn(headers[i].trim(), spec.field.get(key)!.labelZh));
  }
  const missing = spec.fields.filter((f) => f.required && !headerByKey.has(f.key));
  let refusal = null;
  if (missing.length > 0) {
    const detail = missing.map((f) => f.labelZh).join('、');
    const other = betterCategory(spec, headers, loaded.length, missing.length);
    refusal = other
      ? makeIssue('R_OTHER_CATEGORY', { line: 1, value: other.labelZh, detail })
      : makeIssue('R_MISSING_COLUMNS', { line: 1, detail });
    // the warnings about columns of another category would only bury the one message that helps
    if (other) warnings.length = 0;
  }
  return { map: { headers, columns, loaded, composites, headerOf: (key) => headerByKey.get(key), reportLine }, warnings, refusal };
}

/**
 * The category whose fields these headers fit better than the chosen one's: all its required columns
 * present, or more of the headers known to it and fewer of its required columns missing.
 */
function betterCategory(chosen: CategorySpec, headers: readonly string[], matched: number, missing: number): CategorySpec | undefined {
  let best: { spec: CategorySpec; matched: number; missing: number } | undefined;
  const folded = headers.map((h) => h.trim()).filter((h) => h !== '');
  for (const spec of categories()) {
    if (spec.id === chosen.id) continue;
    const keys = new Set(folded.flatMap((h) => resolveHeader(spec, h)?.key ?? resolveComposite(spec, h)?.into ?? []));
    const m = keys.size;
    const miss = spec.fields.filter((f) => f.required && !keys.has(f.key)).length;
    const fits = miss === 0 || (m > matched && miss < missing);
    if (fits && (!best || miss < best.missing || (miss === best.missing && m > best.matched))) best = { spec, matched: m, missing: miss };
  }
  return best?.spec;
}

