// Header row -> which field each column carries. Unknown columns are kept out of the load with a
// warning; missing required columns refuse the batch with one message naming all of them. An annex
// column that packs several fields (水用户信息(户名户号) …) counts for each of them.
import { resolveComposite, resolveHeader, type CategorySpec, type CompositeSpec, type FieldSpec } from '../../schemas/registry.ts';
import { makeIssue } from '../issues.ts';
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
  const columns: (FieldSpec | undefined)[] = headers.map((h, i) => {
    const header = h.trim();
    if (header === '') return undefined; // Excel leaves empty header cells after the last column
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
  const refusal = missing.length === 0 ? null : makeIssue('R_MISSING_COLUMNS', {
    line: 1, detail: missing.map((f) => f.labelZh).join('、'),
  });
  return { map: { headers, columns, loaded, composites, headerOf: (key) => headerByKey.get(key) }, warnings, refusal };
}
