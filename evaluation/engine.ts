// The scoring engine: one enterprise's record versions in effect at the data cut-off, a card and a
// tier in; the evaluation out. Pure and deterministic: records are taken in (category, id) order,
// sums are rounded to the field's precision, so the same inputs give byte-identical canonical JSON.
import { createHash } from 'node:crypto';
import type { CategoryId } from '../schemas/registry.ts';
import { canonicalJson } from '../store/access-log.ts';
import { publicityEndKey, type Card, type Condition, type FilterEntry, type Indicator, type Knockout, type TierId, type Window } from './card.ts';

/** One record version as the engine reads it; id is the record's id, stable across its versions. */
export interface EvalRecord {
  readonly id: number;
  readonly version: number;
  readonly category: CategoryId;
  readonly naturalKey: string;
  readonly batchId: string;
  readonly contentHash: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface EvalInput {
  readonly uscc: string;
  /** The date the windows, validity periods and 公示截止期 are judged at (YYYY-MM-DD). */
  readonly asOf: string;
  /** Record versions loaded at or before this instant were read (ISO timestamp). */
  readonly dataCutoff: string;
  readonly records: readonly EvalRecord[];
}

/** A record an explanation cites: enough to follow it to its batch and provenance. */
export interface CitedRecord {
  readonly recordId: number;
  readonly version: number;
  readonly category: CategoryId;
  readonly batchId: string;
}

export interface Contribution {
  readonly indicator: string;
  readonly dimension: string;
  readonly labelZh: string;
  readonly value: number;
  readonly unitZh: string | null;
  readonly points: number;
  readonly reasonCode: string;
  readonly reasonZh: string;
  readonly records: readonly CitedRecord[];
}

export interface Evaluation {
  readonly uscc: string;
  readonly card: { readonly id: string; readonly version: string };
  readonly tier: TierId;
  readonly asOf: string;
  readonly dataCutoff: string;
  /** null when the data are insufficient. */
  readonly score: number | null;
  readonly grade: string;
  readonly gradeLabelZh: string;
  readonly insufficientData: boolean;
  readonly base: number;
  readonly dimensions: readonly { readonly id: string; readonly labelZh: string; readonly raw: number; readonly points: number; readonly cap: { min: number; max: number } }[];
  readonly contributions: readonly Contribution[];
  readonly knockouts: readonly { readonly id: string; readonly grade: string; readonly reasonCode: string; readonly reasonZh: string; readonly records: readonly CitedRecord[] }[];
  readonly coverage: { readonly categories: readonly CategoryId[]; readonly withData: readonly CategoryId[]; readonly withoutData: readonly CategoryId[]; readonly recordsRead: number };
  readonly inputHash: string;
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

/** A date or a billing month (its first day) as YYYY-MM-DD; undefined when the value is neither. */
function dayOf(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
  if (/^\d{4}-\d{2}$/.test(v)) return `${v}-01`;
  return undefined;
}

/** asOf minus whole months, the day clipped to the shorter month's end (2026-03-31 − 1 = 2026-02-28). */
export function monthsBefore(asOf: string, months: number): string {
  const [y, m, d] = asOf.split('-').map(Number);
  const total = y * 12 + (m - 1) - months;
  const ty = Math.floor(total / 12);
  const tm = total % 12;
  const last = new Date(Date.UTC(ty, tm + 1, 0)).getUTCDate();
  return `${String(ty).padStart(4, '0')}-${String(tm + 1).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

// The start of each look-back, per as-of date and length: computed once, not per record.
const starts = new Map<string, string>();
function windowStart(asOf: string, months: number): string {
  const k = `${asOf}/${months}`;
  let s = starts.get(k);
  if (s === undefined) {
    if (starts.size > 10_000) starts.clear();
    starts.set(k, (s = monthsBefore(asOf, months)));
  }
  return s;
}

/** In (asOf − months, asOf]; without months, any date up to asOf. A record without the date is outside. */
function inWindow(fields: Readonly<Record<string, unknown>>, w: Window | undefined, asOf: string): boolean {
  if (!w) return true;
  const d = dayOf(fields[w.dateField]);
  if (d === undefined || d > asOf) return false;
  return w.months === undefined || d > windowStart(asOf, w.months);
}

// ---------------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------------

const isMissing = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN);

function test(c: Condition, fields: Readonly<Record<string, unknown>>, asOf: string): boolean {
  const v = fields[c.field];
  if (c.op === 'present') return c.not ? isMissing(v) : !isMissing(v);
  if (isMissing(v)) return (c.ifMissing ?? 'fail') === 'pass';
  let r: boolean;
  switch (c.op) {
    case 'eq': r = v === c.value; break;
    case 'in': r = c.values!.includes(v); break;
    case 'anyOf': r = Array.isArray(v) && v.some((x) => c.values!.includes(x)); break;
    case 'gt': r = num(v) > num(c.value); break;
    case 'gtField': {
      const o = fields[c.otherField!];
      r = !isMissing(o) && num(v) > num(o);
      break;
    }
    case 'onOrAfterAsOf': r = (dayOf(v) ?? '') >= asOf; break;
    case 'onOrBeforeAsOf': r = (dayOf(v) ?? '9999') <= asOf; break;
  }
  return c.not ? !r : r;
}

function matches(filter: readonly FilterEntry[] | undefined, fields: Readonly<Record<string, unknown>>, asOf: string): boolean {
  return (filter ?? []).every((f) => ('any' in f ? f.any.some((c) => test(c, fields, asOf)) : test(f, fields, asOf)));
}

type Rule = Pick<Indicator, 'category' | 'filter' | 'window'> | Knockout;
const selected = (rule: Rule, records: readonly EvalRecord[], asOf: string) => records.filter((r) => (
  r.category === rule.category && inWindow(r.fields, rule.window, asOf) && matches(rule.filter, r.fields, asOf)));

const cite = (rs: readonly EvalRecord[]): CitedRecord[] => rs.map((r) => ({ recordId: r.id, version: r.version, category: r.category, batchId: r.batchId }));

/** Six decimals: the finest amount the store keeps (one fen in 万元); keeps float sums reproducible. */
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

function measure(ind: Indicator, rs: readonly EvalRecord[]): number {
  switch (ind.measure.kind) {
    case 'count': return rs.length;
    case 'sum': return round6(rs.reduce((s, r) => s + (Number.isFinite(num(r.fields[ind.measure.field!])) ? num(r.fields[ind.measure.field!]) : 0), 0));
    case 'distinct': return new Set(rs.map((r) => canonicalJson(r.fields[ind.measure.field!]))).size;
  }
}

const binPoints = (ind: Indicator, value: number) => ind.bins.find((b) => b.min <= value && (b.max === undefined || value < b.max))?.points;

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/**
 * The records a tier may read: those of its categories, and of a category with a 公示截止期 only the
 * records still inside it (a record past it is no longer public information: it must not count even
 * towards coverage or the 数据不足 threshold). The card check also requires the condition on every rule.
 */
export function tierRecords(card: Card, tier: TierId, records: readonly EvalRecord[], asOf: string): EvalRecord[] {
  const cats = new Set(card.tiers[tier].categories);
  const inPublicity = (r: EvalRecord) => {
    const key = publicityEndKey(r.category);
    const end = key === undefined ? undefined : dayOf(r.fields[key]);
    return end === undefined || end >= asOf;
  };
  return records.filter((r) => cats.has(r.category) && inPublicity(r))
    .sort((a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : a.id - b.id));
}

/** SHA-256 of what the evaluation read: card, tier, date, and every record version by its content hash. */
export function inputHash(card: Card, tier: TierId, uscc: string, asOf: string, records: readonly EvalRecord[]): string {
  return createHash('sha256').update(canonicalJson({
    card: { id: card.id, version: card.version }, tier, uscc, asOf,
    records: records.map((r) => [r.id, r.version, r.contentHash]),
  })).digest('hex');
}

export function evaluate(card: Card, tier: TierId, input: EvalInput): Evaluation {
  const { asOf } = input;
  const records = tierRecords(card, tier, input.records, asOf);
  const cats = card.tiers[tier].categories;
  const contributions: Contribution[] = [];
  const dimensions = [];
  // Records any indicator or knock-out of the tier looks at, for the sufficiency rule.
  const considered = new Set<number>();
  for (const dim of card.dimensions) {
    let raw = 0;
    for (const ind of dim.indicators) {
      if (!cats.includes(ind.category)) continue;
      for (const r of records) if (r.category === ind.category && inWindow(r.fields, ind.window, asOf)) considered.add(r.id);
      const rs = selected(ind, records, asOf);
      if (rs.length === 0) continue;
      const value = measure(ind, rs);
      const points = binPoints(ind, value);
      if (points === undefined || points === 0) continue;
      raw += points;
      contributions.push({
        indicator: ind.id, dimension: dim.id, labelZh: ind.labelZh, value, unitZh: ind.measure.unitZh ?? null, points,
        reasonCode: ind.reason.code, reasonZh: ind.reason.textZh.replaceAll('{value}', String(value)), records: cite(rs),
      });
    }
    dimensions.push({ id: dim.id, labelZh: dim.labelZh, raw, points: Math.min(dim.cap.max, Math.max(dim.cap.min, raw)), cap: dim.cap });
  }
  const knockouts = [];
  for (const ko of card.knockouts) {
    if (!cats.includes(ko.category)) continue;
    const rs = selected(ko, records, asOf);
    for (const r of records) if (r.category === ko.category && inWindow(r.fields, ko.window, asOf)) considered.add(r.id);
    if (rs.length) knockouts.push({ id: ko.id, grade: ko.grade, reasonCode: ko.reason.code, reasonZh: ko.reason.textZh, records: cite(rs) });
  }
  const withData = cats.filter((c) => records.some((r) => r.category === c));
  const coverage = { categories: [...cats], withData, withoutData: cats.filter((c) => !withData.includes(c)), recordsRead: records.length };
  const common = {
    uscc: input.uscc, card: { id: card.id, version: card.version }, tier, asOf, dataCutoff: input.dataCutoff, base: card.scale.base,
    dimensions, contributions, knockouts, coverage, inputHash: inputHash(card, tier, input.uscc, asOf, records),
  };
  // A knock-out is evidence enough for its grade; otherwise too little data gives 数据不足, never a default grade.
  if (knockouts.length === 0 && considered.size < card.insufficientData.minRecords) {
    return { ...common, score: null, grade: card.insufficientData.grade, gradeLabelZh: card.insufficientData.textZh, insufficientData: true };
  }
  const score = Math.min(card.scale.max, Math.max(card.scale.min, card.scale.base + dimensions.reduce((s, d) => s + d.points, 0)));
  const rank = (g: string) => card.grades.findIndex((x) => x.grade === g);
  let grade = card.grades.find((g) => score >= g.minScore)!;
  for (const k of knockouts) if (rank(k.grade) > rank(grade.grade)) grade = card.grades[rank(k.grade)];
  return { ...common, score, grade: grade.grade, gradeLabelZh: grade.labelZh, insufficientData: false };
}

/** The evaluation as stored and served: canonical JSON, so equal evaluations are equal bytes. */
export const evaluationJson = (e: Evaluation) => canonicalJson(e);

/** The adverse reasons, worst first: knock-outs, then negative contributions by points. */
export function adverseReasons(e: Evaluation, limit = 3) {
  const kos = e.knockouts.map((k) => ({ kind: 'knockout' as const, code: k.reasonCode, textZh: k.reasonZh, points: null, records: k.records }));
  const neg = e.contributions.filter((c) => c.points < 0).sort((a, b) => a.points - b.points || (a.indicator < b.indicator ? -1 : 1))
    .map((c) => ({ kind: 'indicator' as const, code: c.reasonCode, textZh: c.reasonZh, points: c.points, records: c.records }));
  return [...kos, ...neg].slice(0, limit);
}

/**
 * The data cut-off of an evaluation as of `asOf` computed at `now`: now for today (or a later
 * date), otherwise the end of that day (UTC, as the service's 公示截止期 rule reads dates).
 * A stored evaluation's own cut-off takes precedence when rebuilding it.
 */
export function defaultCutoff(asOf: string, now: Date): string {
  const end = `${asOf}T23:59:59.999Z`;
  const at = now.toISOString();
  return end < at ? end : at;
}

/** The enriched tier needs an authorisation in force for each of its non-public categories. */
export function enrichedAllowed(card: Card, granted: ReadonlySet<CategoryId>): boolean {
  const pub = new Set(card.tiers.public.categories);
  return card.tiers.enriched.categories.every((c) => pub.has(c) || granted.has(c));
}

/** The categories the enriched tier adds to the public one (those an authorisation must cover). */
export const enrichedOnly = (card: Card): CategoryId[] => card.tiers.enriched.categories.filter((c) => !card.tiers.public.categories.includes(c));
