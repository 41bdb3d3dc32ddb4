// One source row through the pure stages: cells -> fields -> normalise -> validate -> source unit
// (checkRow), then the provenance stamp (finishRow).
import type { CategorySpec, ProviderUnit } from '../schemas/registry.ts';
import { makeIssue } from './issues.ts';
import { splitComposite } from './stages/composite.ts';
import { normalizeRecord } from './stages/normalize.ts';
import { resolveSourceUnit, stampRecord, type StampContext } from './stages/provenance.ts';
import { validateRecord } from './stages/validate.ts';
import type { CheckedRow, CreditRecord, HeaderMap, RowIssue, SourceRow } from './types.ts';

export type RowOutcome =
  | { readonly kind: 'accepted'; readonly record: CreditRecord; readonly warnings: readonly RowIssue[] }
  | { readonly kind: 'rejected'; readonly issues: readonly RowIssue[]; readonly warnings: readonly RowIssue[] }
  | { readonly kind: 'blank' };

/** Cells -> normalised, validated fields and the unit they come from: everything but the stamp.
 * It needs nothing of the batch but its deliverer, so it may run on the parse thread. */
export function checkRow(spec: CategorySpec, header: HeaderMap, row: SourceRow, deliverer: ProviderUnit): CheckedRow {
  const { cells, line } = row;
  if (cells.every((c) => c.trim() === '')) return { kind: 'blank' };
  // PostgreSQL text and jsonb cannot hold U+0000: such a row would fail the whole batch at COPY.
  if (cells.some((c) => c.includes('\u0000'))) {
    return { kind: 'rejected', warnings: [], issues: [makeIssue('E_ROW_NUL', { line })] };
  }
  const width = header.headers.length;
  // Excel pads rows with empty trailing cells; only real content beyond the header is an error.
  if (cells.length < width || cells.slice(width).some((c) => c.trim() !== '')) {
    return {
      kind: 'rejected', warnings: [],
      issues: [makeIssue('E_ROW_FIELD_COUNT', { line, detail: `${cells.length} ≠ ${width}` })],
    };
  }
  const { loaded, composites, headerOf } = header;
  const original: Record<string, string> = {};
  for (const [i, key] of loaded) original[key] = cells[i];
  // A cell that cannot be split is one error; the fields it should have given are not reported again.
  const compositeIssues: RowIssue[] = [];
  const unsplit = new Set<string>();
  for (const [i, c] of composites) {
    const split = splitComposite(spec, c, cells[i]);
    if (!split.ok) {
      compositeIssues.push(makeIssue('E_COMPOSITE', { line, column: header.headers[i].trim(), value: cells[i], detail: c.examples.join('、'), detailEn: c.examples.join(', ') }));
      for (const key of c.into) unsplit.add(key);
      continue;
    }
    for (const key in split.cells) if ((original[key] ?? '').trim() === '') original[key] = split.cells[key];
  }
  const { fields, notes, originals } = normalizeRecord(spec, original);
  const warnings = notes.map((n) => makeIssue(n.code, {
    line, field: n.field, column: headerOf(n.field) ?? spec.field.get(n.field)?.labelZh, value: n.value, detail: n.detail, detailEn: n.detailEn,
  }));
  const issues = [...compositeIssues, ...validateRecord(spec, fields, { line, original, headerOf }).filter((i) => !unsplit.has(i.field ?? ''))];
  if (issues.length > 0) return { kind: 'rejected', issues, warnings };
  // kept beside the validated fields: the schema describes values, not their spellings
  if (originals) fields._original = originals;
  const source = resolveSourceUnit(spec, fields, deliverer, line, spec.sourceUnitField ? headerOf(spec.sourceUnitField) : undefined);
  if (!source.ok) return { kind: 'rejected', issues: [source.issue], warnings };
  return { kind: 'valid', fields, sourceUnit: source.unit, warnings };
}

/** A checked row -> its outcome in this batch, a valid one stamped with its provenance. */
export function finishRow(spec: CategorySpec, checked: CheckedRow, line: number, ctx: StampContext): RowOutcome {
  if (checked.kind !== 'valid') return checked;
  return { kind: 'accepted', record: stampRecord(spec, checked.fields, checked.sourceUnit, line, ctx), warnings: checked.warnings };
}

export function processRow(spec: CategorySpec, header: HeaderMap, row: SourceRow, ctx: StampContext): RowOutcome {
  return finishRow(spec, checkRow(spec, header, row, ctx.deliverer), row.line, ctx);
}
