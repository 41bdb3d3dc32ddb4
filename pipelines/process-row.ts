// One source row through the pure stages: cells -> fields -> normalise -> validate -> source unit
// (checkRow), then the provenance stamp (finishRow).
import type { CategorySpec, FieldSpec, ProviderUnit } from '../schemas/registry.ts';
import { makeIssue } from './issues.ts';
import { restoreNeutralised } from './report.ts';
import { splitComposite } from './stages/composite.ts';
import { normalizeRecord } from './stages/normalize.ts';
import { resolveSourceUnit, stampRecord, type StampContext } from './stages/provenance.ts';
import { MAX_KEPT_WARNINGS, readingOf, sourceHash, withWarnings } from './stages/source-hash.ts';
import { validateRecord } from './stages/validate.ts';
import type { CheckedRow, CreditRecord, HeaderMap, RowIssue, SourceRow } from './types.ts';

export type RowOutcome =
  | { readonly kind: 'accepted'; readonly record: CreditRecord; readonly warnings: readonly RowIssue[]; readonly corrects?: number }
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
  for (const [i, key] of loaded) original[key] = restoreNeutralised(cells[i]);
  // A cell that cannot be split is one error; the fields it should have given are not reported again.
  const compositeIssues: RowIssue[] = [];
  const unsplit = new Set<string>();
  for (const [i, c] of composites) {
    const cell = restoreNeutralised(cells[i]);
    const split = splitComposite(spec, c, cell);
    if (!split.ok) {
      compositeIssues.push(makeIssue('E_COMPOSITE', { line, column: header.headers[i].trim(), value: cell, detail: c.examples.join('、'), detailEn: c.examples.join(', ') }));
      for (const key of c.into) unsplit.add(key);
      continue;
    }
    for (const key in split.cells) if ((original[key] ?? '').trim() === '') original[key] = split.cells[key];
  }
  const { fields, notes, originals } = normalizeRecord(spec, original);
  const warnings = notes.map((n) => makeIssue(n.code, {
    line, field: n.field, column: headerOf(n.field) ?? spec.field.get(n.field)?.labelZh, value: n.value, detail: n.detail, detailEn: n.detailEn,
  }));
  const mangled = scientificNotation(spec, original, line, headerOf);
  const issues = [...compositeIssues, ...validateRecord(spec, fields, { line, original, headerOf }).filter((i) => !unsplit.has(i.field ?? ''))];
  if (mangled.length > 0) {
    // The spreadsheet's damage is the one thing to say about those columns.
    const hit = new Set(mangled.map((i) => i.field));
    return { kind: 'rejected', issues: [...mangled, ...issues.filter((i) => !hit.has(i.field))], warnings };
  }
  if (issues.length > 0) return { kind: 'rejected', issues, warnings };
  // kept beside the validated fields: the schema describes values, not their spellings
  if (originals) fields._original = originals;
  const source = resolveSourceUnit(spec, fields, deliverer, line, spec.sourceUnitField ? headerOf(spec.sourceUnitField) : undefined);
  if (!source.ok) return { kind: 'rejected', issues: [source.issue], warnings };
  const hash = warnings.length <= MAX_KEPT_WARNINGS ? withWarnings(sourceHash(readingOf(spec, header, deliverer), cells), warnings.length) : null;
  const corrects = header.reportLine === undefined ? undefined : reportLineOf(cells[header.reportLine]);
  const valid = { kind: 'valid', fields, sourceUnit: source.unit, warnings, sourceHash: hash } as const;
  return corrects === undefined ? valid : { ...valid, corrects };
}

/** A 行号 cell: a positive whole number, else the row corrects nothing in particular. */
function reportLineOf(cell: string | undefined): number | undefined {
  const n = Number((cell ?? '').trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

// Columns of codes and identifiers (by kind, or text fields named *_no: registration, tax, account
// and certificate numbers): digits that a spreadsheet reads as a number and shows as 9.13713E+17.
const CODE_KINDS: ReadonlySet<string> = new Set(['uscc', 'orgCode', 'certNumber', 'divisionCode', 'code']);
const isCodeField = (f: { kind: string; key: string }) => CODE_KINDS.has(f.kind) || (f.kind === 'text' && f.key.endsWith('_no'));
const SCIENTIFIC = /^\s*[+-]?\d+(\.\d+)?E[+-]?\d+\s*$/i;

const codeFields = new WeakMap<CategorySpec, readonly FieldSpec[]>();

/** E_SCIENTIFIC_NOTATION for each code or ID cell that a spreadsheet turned into scientific notation. */
function scientificNotation(spec: CategorySpec, original: Record<string, string>, line: number, headerOf: HeaderMap['headerOf']): RowIssue[] {
  let fields = codeFields.get(spec);
  if (!fields) codeFields.set(spec, (fields = spec.fields.filter(isCodeField)));
  const out: RowIssue[] = [];
  for (const f of fields) {
    const value = original[f.key];
    if (value !== undefined && SCIENTIFIC.test(value)) {
      out.push(makeIssue('E_SCIENTIFIC_NOTATION', { line, field: f.key, column: headerOf(f.key) ?? f.labelZh, value }));
    }
  }
  return out;
}

/** A checked row -> its outcome in this batch, a valid one stamped with its provenance. */
export function finishRow(spec: CategorySpec, checked: CheckedRow, line: number, ctx: StampContext): RowOutcome {
  if (checked.kind !== 'valid') return checked;
  return { kind: 'accepted', record: stampRecord(spec, checked.fields, checked.sourceUnit, line, ctx, checked.sourceHash), warnings: checked.warnings, corrects: checked.corrects };
}

export function processRow(spec: CategorySpec, header: HeaderMap, row: SourceRow, ctx: StampContext): RowOutcome {
  return finishRow(spec, checkRow(spec, header, row, ctx.deliverer), row.line, ctx);
}
