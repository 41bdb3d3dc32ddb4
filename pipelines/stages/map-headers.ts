// Header row -> which field each column carries. Unknown columns are kept out of the load with a
// warning; missing required columns refuse the batch with one message naming all of them.
import { resolveHeader, type CategorySpec, type FieldSpec } from '../../schemas/registry.ts';
import { makeIssue } from '../issues.ts';
import type { HeaderMap, RowIssue } from '../types.ts';

export interface HeaderMapping {
  readonly map: HeaderMap;
  readonly warnings: readonly RowIssue[];
  /** Set when the batch must be refused. */
  readonly refusal: RowIssue | null;
}

export function mapHeaders(spec: CategorySpec, headers: readonly string[]): HeaderMapping {
  const warnings: RowIssue[] = [];
  const loaded: (readonly [number, string])[] = [];
  const headerByKey = new Map<string, string>();
  const columns: (FieldSpec | undefined)[] = headers.map((h, i) => {
    const header = h.trim();
    if (header === '') return undefined; // Excel leaves empty header cells after the last column
    const field = resolveHeader(spec, header);
    if (!field) {
      warnings.push(makeIssue('W_UNKNOWN_COLUMN', { line: 1, column: header, value: header }));
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
  const missing = spec.fields.filter((f) => f.required && !headerByKey.has(f.key));
  const refusal = missing.length === 0 ? null : makeIssue('R_MISSING_COLUMNS', {
    line: 1, detail: missing.map((f) => f.labelZh).join('、'),
  });
  return { map: { headers, columns, loaded, headerOf: (key) => headerByKey.get(key) }, warnings, refusal };
}
