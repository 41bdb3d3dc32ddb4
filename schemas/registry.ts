// Reads the category schemas, code lists and provider units once and exposes them as typed specs.
// Everything that needs to know about fields (header mapping, normalising, validation messages,
// store views, docs) asks this module, so the JSON files stay the single source of truth.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CATEGORY_IDS = ['licensing', 'penalty', 'enforcement', 'water', 'gas', 'rnd', 'agri'] as const;
export type CategoryId = (typeof CATEGORY_IDS)[number];

export const FIELD_KINDS = ['text', 'uscc', 'orgCode', 'certNumber', 'date', 'dateOrLongTerm', 'month', 'amountWan',
  'amountYuan', 'quantity', 'yesNo', 'divisionCode', 'code', 'codes'] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];
export type Sensitivity = 'public' | 'authorised';

export interface CodeList {
  readonly id: string;
  readonly labelZh: string;
  readonly description?: string;
  readonly values: readonly { code: string; aliases: readonly string[] }[];
  /** A value starting with this prefix is accepted as is (e.g. 其他-备案). */
  readonly openPrefix?: string;
  readonly legacy?: readonly { label: string; mapsTo: readonly string[] }[];
  /** normalised label, alias or legacy label -> canonical codes */
  readonly lookup: ReadonlyMap<string, readonly string[]>;
}

export interface FieldSpec {
  readonly key: string;
  readonly labelZh: string;
  readonly labelEn: string;
  readonly kind: FieldKind;
  readonly required: boolean;
  readonly maxLength?: number;
  readonly aliases: readonly string[];
  readonly codelist?: CodeList;
  readonly unit?: string;
  readonly sensitivity: Sensitivity;
  /** The annex field(s) this field realises, when its label is not the annex's own name. */
  readonly annex: readonly string[];
  readonly example?: string;
  readonly description?: string;
}

/** How an annex field that packs several fields into one cell is read (pipelines/stages/composite.ts). */
export const COMPOSITE_FORMS = ['nameAndNumber', 'labelledValues', 'dateRange'] as const;
export type CompositeForm = (typeof COMPOSITE_FORMS)[number];

/** An annex column that carries several fields in one cell (水用户信息(户名户号), 行政许可有效期 …). */
export interface CompositeSpec {
  readonly labelZh: string;
  readonly aliases: readonly string[];
  readonly form: CompositeForm;
  /** the fields the cell is split into, in the order of the unlabelled form */
  readonly into: readonly string[];
  readonly examples: readonly string[];
  readonly description: string;
}

/** One part of a natural key: a field, or the first present of several (名称 + 行政区划代码 or 所在地). */
export type KeyPart = string | readonly string[];

export interface CategorySpec {
  readonly id: CategoryId;
  readonly labelZh: string;
  readonly names: readonly string[];
  /** The annex's field list for the category, verbatim (临政办发〔2023〕9号): the floor of the contract. */
  readonly annexFields: readonly string[];
  readonly version: string;
  readonly sharing: string;
  readonly grain: string;
  readonly naturalKey: readonly KeyPart[];
  readonly eventDate: string | null;
  readonly sourceUnitField: string | null;
  readonly fields: readonly FieldSpec[];
  readonly field: ReadonlyMap<string, FieldSpec>;
  readonly composites: readonly CompositeSpec[];
  /** The raw JSON Schema, for the validator. */
  readonly schema: Readonly<Record<string, unknown>>;
}

export interface ProviderUnit {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly categories: readonly CategoryId[];
  readonly onBehalfOf: readonly CategoryId[];
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const readJson = (p: string): any => JSON.parse(readFileSync(here(p), 'utf8'));

/** How header cells, labels, aliases and code labels are compared: NFKC folds full-width forms
 * (＿ （ ） Ａ １) to ASCII, whitespace is dropped and ASCII letters are lower-cased. */
export function foldLabel(s: string): string {
  return s.normalize('NFKC').replace(/[\s\u200b\ufeff]+/g, '').toLowerCase();
}

export const commonSchema: Readonly<Record<string, unknown>> = readJson('./defs/common.schema.json');

function loadCodeList(raw: any): CodeList {
  const lookup = new Map<string, readonly string[]>();
  for (const v of raw.values) {
    lookup.set(foldLabel(v.code), [v.code]);
    for (const a of v.aliases) lookup.set(foldLabel(a), [v.code]);
  }
  for (const l of raw.legacy ?? []) lookup.set(foldLabel(l.label), l.mapsTo);
  return { ...raw, lookup };
}

export const codeLists: ReadonlyMap<string, CodeList> = new Map(
  readdirSync(here('./codelists')).filter((f) => f.endsWith('.json'))
    .map((f) => loadCodeList(readJson(`./codelists/${f}`)))
    .map((c) => [c.id, c] as const));

function loadComposites(id: CategoryId, s: any, fields: readonly FieldSpec[]): CompositeSpec[] {
  const composites: CompositeSpec[] = s['x-composites'] ?? [];
  for (const c of composites) {
    if (!COMPOSITE_FORMS.includes(c.form)) throw new Error(`${id}: composite ${c.labelZh} has unknown form ${c.form}`);
    for (const k of c.into) if (!fields.some((f) => f.key === k)) throw new Error(`${id}: composite ${c.labelZh} names unknown field ${k}`);
  }
  return composites;
}

function loadCategory(id: CategoryId): CategorySpec {
  const s = readJson(`./categories/${id}.schema.json`);
  const required = new Set<string>(s.required);
  const fields: FieldSpec[] = Object.entries<any>(s.properties).map(([key, p]) => {
    const kind = String(p.$ref).split('/').pop() as FieldKind;
    if (!FIELD_KINDS.includes(kind)) throw new Error(`${id}.${key}: unknown field kind ${p.$ref}`);
    const codelist = p['x-codelist'] ? codeLists.get(p['x-codelist']) : undefined;
    if (p['x-codelist'] && !codelist) throw new Error(`${id}.${key}: unknown code list ${p['x-codelist']}`);
    return {
      key, kind, codelist, required: required.has(key),
      labelZh: p['x-label-zh'], labelEn: p['x-label-en'], aliases: p['x-aliases'] ?? [],
      maxLength: p.maxLength, unit: p['x-unit'], sensitivity: p['x-sensitivity'],
      annex: p['x-annex'] ?? [], example: p.examples?.[0], description: p.description,
    };
  });
  return {
    id, labelZh: s.title, names: s['x-names'], annexFields: s['x-annex-fields'], version: s['x-version'], sharing: s['x-sharing'], grain: s['x-grain'],
    naturalKey: s['x-natural-key'], eventDate: s['x-event-date'], sourceUnitField: s['x-source-unit-field'],
    fields, field: new Map(fields.map((f) => [f.key, f])), composites: loadComposites(id, s, fields), schema: s,
  };
}

const specs: ReadonlyMap<CategoryId, CategorySpec> = new Map(CATEGORY_IDS.map((id) => [id, loadCategory(id)]));
const byName = new Map<string, CategoryId>();
for (const c of specs.values()) for (const n of [c.id, c.labelZh, ...c.names]) byName.set(foldLabel(n), c.id);

export function categories(): readonly CategorySpec[] {
  return [...specs.values()];
}

/** A category by id or by any of its Chinese names (行政处罚, 行政处罚信息 …). */
export function findCategory(idOrName: string): CategorySpec | undefined {
  const id = byName.get(foldLabel(idOrName));
  return id ? specs.get(id) : undefined;
}

export function category(id: CategoryId): CategorySpec {
  return specs.get(id)!;
}

const headerMaps = new Map<CategoryId, Map<string, FieldSpec | CompositeSpec>>();
const isComposite = (x: FieldSpec | CompositeSpec | undefined): x is CompositeSpec => x !== undefined && 'into' in x;

function headerMap(cat: CategorySpec): Map<string, FieldSpec | CompositeSpec> {
  let m = headerMaps.get(cat.id);
  if (!m) {
    m = new Map();
    for (const f of cat.fields) {
      for (const n of [f.key, f.labelZh, ...f.aliases]) {
        const k = foldLabel(n);
        if (!m.has(k)) m.set(k, f);
      }
    }
    for (const c of cat.composites) {
      for (const n of [c.labelZh, ...c.aliases]) {
        const k = foldLabel(n);
        if (!m.has(k)) m.set(k, c);
      }
    }
    headerMaps.set(cat.id, m);
  }
  return m;
}

/** The field a header cell names: the Chinese label, an alias or the English key, in any width or spacing. */
export function resolveHeader(cat: CategorySpec, header: string): FieldSpec | undefined {
  const x = headerMap(cat).get(foldLabel(header));
  return isComposite(x) ? undefined : x;
}

/** The composite annex column a header cell names (水用户信息(户名户号) …), if it names one. */
export function resolveComposite(cat: CategorySpec, header: string): CompositeSpec | undefined {
  const x = headerMap(cat).get(foldLabel(header));
  return isComposite(x) ? x : undefined;
}

/** The fields a natural-key part may be taken from, in order of preference. */
export const keyPartFields = (part: KeyPart): readonly string[] => (typeof part === 'string' ? [part] : part);

const divisionNames: readonly { name: string; code: string }[] = (readJson('./divisions.json').divisions as { code: string; names: string[] }[])
  .flatMap((d) => d.names.map((name) => ({ name, code: d.code }))).sort((a, b) => b.name.length - a.name.length);

/** The 临沂 division code a place name (所在地) lies in, when it names a county, district or zone. */
export function divisionOf(place: string): string | undefined {
  const t = foldLabel(place);
  return divisionNames.find((d) => t.includes(d.name))?.code;
}

const providerFile = readJson('./provider-units.json');
export const providerUnits: readonly ProviderUnit[] = providerFile.units;
const unitByName = new Map<string, ProviderUnit>();
for (const u of providerUnits) for (const n of [u.id, u.name, ...u.aliases]) unitByName.set(foldLabel(n), u);

/** A provider unit by id, full name or alias (市发展改革委 = 临沂市发展和改革委员会). */
export function findProviderUnit(name: string): ProviderUnit | undefined {
  return unitByName.get(foldLabel(name));
}
