// The scoring card as data: read, checked against its JSON Schema, then against what the schema
// cannot say (known categories and fields, bins in order and apart, grades descending, tiers).
// A card that passes here is safe for the engine: it never meets an unknown field or an empty grade.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { category, type CategoryId } from '../schemas/registry.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export type Op = 'eq' | 'in' | 'anyOf' | 'gt' | 'gtField' | 'onOrAfterAsOf' | 'onOrBeforeAsOf' | 'present';

export interface Condition {
  readonly field: string;
  readonly op: Op;
  readonly value?: unknown;
  readonly values?: readonly unknown[];
  readonly otherField?: string;
  readonly ifMissing?: 'pass' | 'fail';
  readonly not?: boolean;
}
export type FilterEntry = Condition | { readonly any: readonly Condition[] };

export interface Window {
  readonly dateField: string;
  readonly months?: number;
}

export interface Reason {
  readonly code: string;
  readonly textZh: string;
}

export interface Bin {
  readonly min: number;
  readonly max?: number;
  readonly points: number;
}

export interface Indicator {
  readonly id: string;
  readonly labelZh: string;
  readonly descriptionZh?: string;
  readonly category: CategoryId;
  readonly filter?: readonly FilterEntry[];
  readonly window?: Window;
  readonly measure: { readonly kind: 'count' | 'sum' | 'distinct'; readonly field?: string; readonly unitZh?: string };
  readonly bins: readonly Bin[];
  readonly reason: Reason;
}

export interface Dimension {
  readonly id: string;
  readonly labelZh: string;
  readonly cap: { readonly min: number; readonly max: number };
  readonly indicators: readonly Indicator[];
}

export interface Knockout {
  readonly id: string;
  readonly labelZh?: string;
  readonly category: CategoryId;
  readonly filter?: readonly FilterEntry[];
  readonly window?: Window;
  readonly grade: string;
  readonly reason: Reason;
}

export type TierId = 'public' | 'enriched';
export const TIERS: readonly TierId[] = ['public', 'enriched'];

export interface Card {
  readonly id: string;
  readonly version: string;
  readonly titleZh: string;
  readonly descriptionZh?: string;
  readonly effectiveFrom: string;
  readonly basis?: readonly string[];
  readonly scale: { readonly base: number; readonly min: number; readonly max: number };
  readonly grades: readonly { readonly grade: string; readonly labelZh: string; readonly minScore: number; readonly meaningZh?: string }[];
  readonly insufficientData: { readonly grade: '数据不足'; readonly minRecords: number; readonly textZh: string };
  readonly tiers: Readonly<Record<TierId, { readonly labelZh: string; readonly categories: readonly CategoryId[] }>>;
  readonly dimensions: readonly Dimension[];
  readonly knockouts: readonly Knockout[];
}

/** One problem with a card: where (a JSON pointer into the card) and why, in both languages. */
export interface CardProblem {
  readonly path: string;
  readonly messageZh: string;
  readonly messageEn: string;
}

export class CardError extends Error {
  readonly code = 'E_CARD_INVALID';
  constructor(readonly file: string, readonly problems: readonly CardProblem[]) {
    super(`${file}: ${problems.map((p) => `${p.path} ${p.messageEn}`).join('; ')}`);
  }
}

/** The annex's publicity end (行政处罚 公示截止期), found by its label as api/access.ts finds it. */
const PUBLICITY_END_LABEL = '公示截止期';

const publicityEnds = new Map<CategoryId, string | undefined>();
/** The key of a category's 公示截止期 field, if it has one (the schemas are fixed: looked up once). */
export function publicityEndKey(c: CategoryId): string | undefined {
  if (!publicityEnds.has(c)) publicityEnds.set(c, category(c).fields.find((f) => f.labelZh === PUBLICITY_END_LABEL)?.key);
  return publicityEnds.get(c);
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export const CARD_SCHEMA_FILE = here('../schemas/evaluation/card.schema.json');
export const CARDS_DIR = here('../schemas/evaluation/cards/');

let validator: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (validator) return validator;
  const ajv = addFormats(new Ajv2020({ allErrors: true, strict: false }));
  return (validator = ajv.compile(JSON.parse(readFileSync(CARD_SCHEMA_FILE, 'utf8'))));
}

const schemaProblem = (e: ErrorObject): CardProblem => ({
  path: e.instancePath || '/',
  messageZh: `不符合评分卡结构：${e.message ?? e.keyword}${e.params && 'allowedValues' in e.params ? `（可选值：${(e.params.allowedValues as unknown[]).join('、')}）` : ''}`,
  messageEn: `does not fit the card schema: ${e.message ?? e.keyword}`,
});

function conditionsOf(filter: readonly FilterEntry[] | undefined): Condition[] {
  return (filter ?? []).flatMap((f) => ('any' in f ? f.any : [f]));
}

/** The checks the schema cannot make; every problem is reported, not just the first. */
function semanticProblems(card: Card): CardProblem[] {
  const out: CardProblem[] = [];
  const bad = (path: string, zh: string, en: string) => out.push({ path, messageZh: zh, messageEn: en });
  const fieldKnown = (cat: CategoryId, key: string, path: string) => {
    if (!category(cat).field.has(key)) bad(path, `类别 ${cat} 没有字段 ${key}`, `category ${cat} has no field ${key}`);
  };
  const checkRule = (r: { category: CategoryId; filter?: readonly FilterEntry[]; window?: Window }, path: string) => {
    if (r.window) fieldKnown(r.category, r.window.dateField, `${path}/window/dateField`);
    // A record past its 公示截止期 is no longer public information: every rule on such a category must say so.
    const end = publicityEndKey(r.category);
    if (end && !(r.filter ?? []).some((f) => !('any' in f) && f.field === end && f.op === 'onOrAfterAsOf' && !f.not)) {
      bad(`${path}/filter`, `${category(r.category).labelZh}的规则须只计${PUBLICITY_END_LABEL}未届满的记录（条件 {"field":"${end}","op":"onOrAfterAsOf"}）`,
        `rules on ${r.category} must count only records inside their publicity period (condition {"field":"${end}","op":"onOrAfterAsOf"})`);
    }
    conditionsOf(r.filter).forEach((c, i) => {
      fieldKnown(r.category, c.field, `${path}/filter/${i}/field`);
      if (c.op === 'gtField') {
        if (!c.otherField) bad(`${path}/filter/${i}`, 'gtField 需要 otherField', 'gtField needs otherField');
        else fieldKnown(r.category, c.otherField, `${path}/filter/${i}/otherField`);
      }
      if ((c.op === 'in' || c.op === 'anyOf') && !c.values?.length) bad(`${path}/filter/${i}`, `${c.op} 需要 values`, `${c.op} needs values`);
      if ((c.op === 'eq' || c.op === 'gt') && c.value === undefined) bad(`${path}/filter/${i}`, `${c.op} 需要 value`, `${c.op} needs value`);
    });
  };
  if (!(card.scale.min <= card.scale.base && card.scale.base <= card.scale.max)) {
    bad('/scale', '基础分须在最低分与最高分之间', 'base must lie between min and max');
  }
  const grades = card.grades.map((g) => g.grade);
  card.grades.forEach((g, i) => {
    if (i > 0 && g.minScore >= card.grades[i - 1].minScore) bad(`/grades/${i}/minScore`, '等级分数线须自高到低严格递减', 'grade cut-offs must strictly decrease');
    if (grades.indexOf(g.grade) !== i) bad(`/grades/${i}/grade`, `等级 ${g.grade} 重复`, `grade ${g.grade} appears twice`);
  });
  const last = card.grades[card.grades.length - 1];
  if (last.minScore !== card.scale.min) bad(`/grades/${card.grades.length - 1}/minScore`, '最低等级的分数线须等于最低分', 'the lowest grade must start at scale.min');
  const pub = new Set(card.tiers.public.categories);
  for (const c of pub) {
    if (!card.tiers.enriched.categories.includes(c)) bad('/tiers/enriched/categories', `增强层须包含公共层的类别 ${c}`, `the enriched tier must include the public tier's ${c}`);
    if (category(c).fields.every((f) => f.sensitivity === 'authorised')) {
      bad('/tiers/public/categories', `${category(c).labelZh}为非公开信息，不得用于公共层`, `${c} is non-public and cannot be in the public tier`);
    }
  }
  const ids = new Set<string>();
  const codes = new Map<string, string>();
  const seen = (id: string, code: string, path: string) => {
    if (ids.has(id)) bad(`${path}/id`, `编号 ${id} 重复`, `id ${id} appears twice`);
    ids.add(id);
    if (codes.has(code)) bad(`${path}/reason/code`, `原因代码 ${code} 与 ${codes.get(code)} 重复`, `reason code ${code} is also used by ${codes.get(code)}`);
    codes.set(code, id);
  };
  card.dimensions.forEach((d, di) => d.indicators.forEach((ind, ii) => {
    const path = `/dimensions/${di}/indicators/${ii}`;
    seen(ind.id, ind.reason.code, path);
    if (!card.tiers.enriched.categories.includes(ind.category)) bad(`${path}/category`, `类别 ${ind.category} 不在任何层级中`, `category ${ind.category} is in no tier`);
    checkRule(ind, path);
    if (ind.measure.kind !== 'count') {
      if (!ind.measure.field) bad(`${path}/measure`, `${ind.measure.kind} 需要 field`, `${ind.measure.kind} needs field`);
      else fieldKnown(ind.category, ind.measure.field, `${path}/measure/field`);
    }
    ind.bins.forEach((b, bi) => {
      if (b.max !== undefined && b.max <= b.min) bad(`${path}/bins/${bi}`, '分箱上限须大于下限', 'a bin max must exceed its min');
      const prev = ind.bins[bi - 1];
      if (prev && (prev.max === undefined || prev.max > b.min)) bad(`${path}/bins/${bi}`, '分箱须自小到大且互不重叠', 'bins must ascend without overlapping');
    });
  }));
  card.knockouts.forEach((k, i) => {
    const path = `/knockouts/${i}`;
    seen(k.id, k.reason.code, path);
    checkRule(k, path);
    if (!grades.includes(k.grade)) bad(`${path}/grade`, `否决等级 ${k.grade} 不是本卡的等级`, `knock-out grade ${k.grade} is not one of the card's grades`);
  });
  return out;
}

/** Problems with a parsed card (empty when it is valid). */
export function cardProblems(raw: unknown): CardProblem[] {
  const v = schemaValidator();
  if (!v(raw)) return (v.errors ?? []).map(schemaProblem);
  return semanticProblems(raw as Card);
}

/** Reads and checks a card file; throws CardError listing every problem. */
export function loadCardFile(file: string): Card {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CardError(file, [{ path: '/', messageZh: `无法读取或解析 JSON：${(e as Error).message}`, messageEn: `cannot read or parse JSON: ${(e as Error).message}` }]);
  }
  const problems = cardProblems(raw);
  if (problems.length) throw new CardError(file, problems);
  return raw as Card;
}

/** The card the service and the nightly run use unless told otherwise. */
export const DEFAULT_CARD = 'basic-v1';

const loaded = new Map<string, Card>();

/** A shipped card by id (schemas/evaluation/cards/<id>.json), checked once per process. */
export function shippedCard(id: string): Card {
  if (!/^[a-z][a-z0-9-]{1,40}$/.test(id)) throw new CardError(id, [{ path: '/', messageZh: `评分卡编号无效：${id}`, messageEn: `invalid card id ${id}` }]);
  let c = loaded.get(id);
  if (!c) loaded.set(id, (c = loadCardFile(`${CARDS_DIR}${id}.json`)));
  return c;
}
