// Annex columns that pack several fields into one cell -> the cells of those fields, as delivered,
// for the normaliser. The forms are declared per category (x-composites in schemas/categories/) and
// described in docs/data-contract.md. Pure.
import { resolveHeader, type CategorySpec, type CompositeSpec } from '../../schemas/registry.ts';

export type Split = { readonly ok: true; readonly cells: Readonly<Record<string, string>> } | { readonly ok: false };

const ok = (cells: Record<string, string>): Split => ({ ok: true, cells });
const FAIL: Split = { ok: false };

// 户名/户号, 户名／户号, 户名（户号）, 户名(户号): the number is the last part, since names may hold brackets.
const SLASHED = /^(.*\S)\s*[/／]\s*([^/／]+)$/s;
const BRACKETED = /^(.*\S)\s*[（(]\s*([^（()）]+?)\s*[）)]$/s;
const LOOKS_LIKE_NUMBER = /^[0-9A-Za-z-]+$/;

function nameAndNumber(c: CompositeSpec, s: string): Split {
  const [nameKey, numberKey] = c.into;
  const m = SLASHED.exec(s) ?? BRACKETED.exec(s);
  if (m) {
    const [a, b] = [m[1].trim(), m[2].trim()];
    // 号/名 written the other way round: the number is the part that looks like one
    return LOOKS_LIKE_NUMBER.test(a) && !LOOKS_LIKE_NUMBER.test(b) ? ok({ [nameKey]: b, [numberKey]: a }) : ok({ [nameKey]: a, [numberKey]: b });
  }
  // a cell with the number only is still the account
  return LOOKS_LIKE_NUMBER.test(s) ? ok({ [numberKey]: s }) : FAIL;
}

// Between pairs: ; ； | or a line break. Between label and value: : ： or =.
const PAIR_SEPARATOR = /[;；|\r\n]+/;
const LABEL_SEPARATOR = /^([^:：=]+)[:：=](.*)$/s;

function labelledValues(spec: CategorySpec, c: CompositeSpec, s: string): Split {
  const pairs = s.split(PAIR_SEPARATOR).map((p) => p.trim()).filter((p) => p !== '');
  const labelled = pairs.map((p) => LABEL_SEPARATOR.exec(p));
  const cells: Record<string, string> = {};
  if (labelled.every((m) => m !== null)) {
    for (const m of labelled) {
      const field = resolveHeader(spec, m![1]);
      if (!field || !c.into.includes(field.key) || field.key in cells) return FAIL;
      cells[field.key] = m![2].trim();
    }
    return ok(cells);
  }
  if (labelled.some((m) => m !== null)) return FAIL;
  // unlabelled: the values alone, separated by spaces only (a comma may be a thousands separator), in the declared order
  const values = s.trim().split(/[\s\u3000]+/);
  if (values.length > c.into.length) return FAIL;
  values.forEach((v, i) => { cells[c.into[i]] = v; });
  return ok(cells);
}

// 2024-03-15至2029-03-14, 2024.03.15-2029.03.14, 2024/3/15~2029/3/14, 2024年3月15日至长期 …
const RANGE_WORDS = /\s*(?:至|到|~|～|—|–|－－|--)\s*/;
const DATE = String.raw`\d{4}(?:[./]\d{1,2}[./]\d{1,2}|-\d{1,2}-\d{1,2}|\d{4}|年\d{1,2}月\d{1,2}日)`;
const HYPHEN_RANGE = new RegExp(String.raw`^(${DATE})\s*[-－]\s*(${DATE}|长期|永久)$`);

function dateRange(c: CompositeSpec, s: string): Split {
  const [fromKey, toKey] = c.into;
  const t = s.normalize('NFKC').trim().replace(/^[自从]\s*/, '');
  const parts = t.split(RANGE_WORDS);
  if (parts.length === 2 && parts[0] && parts[1]) return ok({ [fromKey]: parts[0], [toKey]: parts[1] });
  const m = HYPHEN_RANGE.exec(t);
  if (m) return ok({ [fromKey]: m[1], [toKey]: m[2] });
  // one date (or 长期) is the end of validity
  return parts.length === 1 ? ok({ [toKey]: t }) : FAIL;
}

/** The field cells one composite cell carries, or a failure when it is in none of the accepted forms. */
export function splitComposite(spec: CategorySpec, c: CompositeSpec, cell: string): Split {
  const s = cell.trim();
  if (s === '') return ok({});
  switch (c.form) {
    case 'nameAndNumber': return nameAndNumber(c, s);
    case 'labelledValues': return labelledValues(spec, c, s);
    case 'dateRange': return dateRange(c, s);
  }
}

/** How a composite's part is named in messages: 缴纳水费明细（账期）. */
export const partColumn = (header: string, labelZh: string) => `${header}（${labelZh}）`;
