// Cell text -> canonical field value, by field kind (schemas/defs/common.schema.json), plus the few
// cross-field repairs old feeds need. Pure: whatever cannot be brought to canonical form is passed on
// as the cleaned cell so that the validator reports it with the value the clerk delivered.
import { CERT_PATTERNS, upgradeResidentId15, usccProblem } from '../../lib/checks.ts';
import { foldLabel, type CategorySpec, type CodeList, type FieldKind, type FieldSpec } from '../../schemas/registry.ts';
import type { IssueCode } from '../issues.ts';
import { deriveMissing } from './derive.ts';
import type { FieldValue, Fields } from '../types.ts';

// String.prototype.trim and \s miss the zero-width characters that copy-paste from web pages leaves.
const EDGE_SPACE = /^[\s\u200b-\u200d\u2060]+|[\s\u200b-\u200d\u2060]+$/g;
const ANY_SPACE = /[\s\u200b-\u200d\u2060]+/g;
const EMPTY_TOKENS = new Set(['', '/', '／', '无', '-', '－', '—', 'null', 'n/a']);

// Fast paths below skip the Unicode work for the common, already-clean cell: normalising runs once
// per cell of every row, so it dominates ingest time on wide files.
const isEdgeSpace = (c: number) => c <= 0x20 || c === 0xa0 || c === 0x3000 || (c >= 0x200b && c <= 0x200d) || c === 0x2060 || c === 0xfeff || (c >= 0x2000 && c <= 0x200a) || c === 0x1680 || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x85;

/** The trimmed cell, or undefined when it is blank or a placeholder for "nothing". */
function clean(raw: string): string | undefined {
  const s = raw.length > 0 && (isEdgeSpace(raw.charCodeAt(0)) || isEdgeSpace(raw.charCodeAt(raw.length - 1))) ? raw.replace(EDGE_SPACE, '') : raw;
  return s.length <= 4 && EMPTY_TOKENS.has(s.toLowerCase()) ? undefined : s;
}

const PLAIN_IDENTIFIER = /^[0-9A-Z]+$/;

function identifier(s: string): string {
  return PLAIN_IDENTIFIER.test(s) ? s : s.normalize('NFKC').replace(ANY_SPACE, '').toUpperCase();
}

// ---- dates ----

const TIME_OF_DAY = /(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;
const DATE_SPELLINGS = [
  /^(?<y>\d{4})(?<sep>[-/.])(?<m>\d{1,2})\k<sep>(?<d>\d{1,2})$/,
  /^(?<y>\d{4})(?<m>\d{2})(?<d>\d{2})$/,
  /^(?<y>\d{4})年(?<m>\d{1,2})月(?<d>\d{1,2})日$/,
];
const MONTH_SPELLINGS = [
  /^(?<y>\d{4})(?<sep>[-/.])(?<m>\d{1,2})$/,
  /^(?<y>\d{4})(?<m>\d{2})$/,
  /^(?<y>\d{4})年(?<m>\d{1,2})月$/,
];
const DAY_MS = 86_400_000;
// Serial 1 is 1900-01-01, but Excel counts a 1900-02-29 that never was, so later serials count from 1899-12-30.
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
// Epoch milliseconds come from systems running in China; the calendar day is the one in Asia/Shanghai (UTC+8, no DST).
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const LONG_TERM = '2099-12-31';
const LONG_TERM_WORDS = new Set(['长期', '永久', '长期有效']);

const pad2 = (n: number) => String(n).padStart(2, '0');

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

function isoDate(y: number, m: number, d: number): string | undefined {
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return undefined;
  return `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}`;
}

function isoFromUtcMs(ms: number): string {
  const t = new Date(ms);
  return isoDate(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate())!;
}

const PLAIN_ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** ISO date of an accepted spelling, or undefined when it is no spelling of an existing day. */
function parseDate(s: string): string | undefined {
  const iso = PLAIN_ISO_DATE.exec(s);
  if (iso) return isoDate(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const t = s.normalize('NFKC').replace(TIME_OF_DAY, '').replace(ANY_SPACE, '');
  for (const re of DATE_SPELLINGS) {
    const g = re.exec(t)?.groups;
    if (g) return isoDate(Number(g.y), Number(g.m), Number(g.d));
  }
  // An Excel date-time serial carries the time of day as a fraction.
  const serial = /^(\d{5})(?:\.\d+)?$/.exec(t);
  if (serial && Number(serial[1]) >= 20000 && Number(serial[1]) <= 80000) return isoFromUtcMs(EXCEL_EPOCH_MS + Number(serial[1]) * DAY_MS);
  if (/^\d{12,13}$/.test(t)) return isoFromUtcMs(Number(t) + SHANGHAI_OFFSET_MS);
  return undefined;
}

function normalizeDate(s: string): string {
  return parseDate(s) ?? s;
}

function normalizeDateOrLongTerm(s: string): string {
  if (LONG_TERM_WORDS.has(s)) return LONG_TERM;
  const date = parseDate(s);
  return date === '9999-12-31' ? LONG_TERM : (date ?? s);
}

function normalizeMonth(s: string): string {
  const t = s.normalize('NFKC').replace(ANY_SPACE, '');
  for (const re of MONTH_SPELLINGS) {
    const g = re.exec(t)?.groups;
    if (g) return isoDate(Number(g.y), Number(g.m), 1)?.slice(0, 7) ?? s;
  }
  return parseDate(s)?.slice(0, 7) ?? s;
}

// ---- amounts and quantities ----

// The field's own unit is stripped; an amount written in the other money unit (20000元 in a 万元 field,
// 1.5万 in a 元 field) is converted, and the cell as delivered is kept beside the record (_original).
// (NFKC has already turned m³ into m3.)
const UNIT_SPELLINGS: Readonly<Record<string, readonly (readonly [string, number])[]>> = {
  万元: [['万元', 0], ['万', 0], ['元', -4]], 元: [['万元', 4], ['万', 4], ['元', 0]], 吨: [['吨', 0]], 立方米: [['立方米', 0], ['m3', 0]], 亩: [['亩', 0]],
};

const UNIT_EN: Readonly<Record<string, string>> = { 万元: 'in 10,000 yuan', 元: 'yuan' };

/** The decimal string times 10^places, exactly. */
function shiftDecimal(int: string, frac: string, places: number): [string, string] {
  const digits = int + frac;
  const point = int.length + places;
  if (point <= 0) return ['0', '0'.repeat(-point) + digits];
  if (point >= digits.length) return [digits + '0'.repeat(point - digits.length), ''];
  return [digits.slice(0, point), digits.slice(point)];
}

/** Whether the cell names a money unit other than the field's own, i.e. was converted. */
export function convertedUnit(s: string, field: FieldSpec): boolean {
  const t = s.normalize('NFKC').replace(ANY_SPACE, '');
  return (UNIT_SPELLINGS[field.unit ?? ''] ?? []).find(([u]) => t.endsWith(u))?.[1] ? true : false;
}

function normalizeNumber(s: string, field: FieldSpec): string {
  let t = s.normalize('NFKC').replace(ANY_SPACE, '').replace(/^¥/, '');
  const unit = (UNIT_SPELLINGS[field.unit ?? ''] ?? []).find(([u]) => t.endsWith(u));
  if (unit) t = t.slice(0, -unit[0].length);
  // A comma that is not a thousands separator may be a decimal comma; dropping it would scale the value.
  if (t.includes(',')) {
    if (!/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(t)) return s;
    t = t.replaceAll(',', '');
  }
  const m = /^(\d+)(?:\.(\d+))?$/.exec(t);
  if (!m) return s;
  const [i, f] = shiftDecimal(m[1], m[2] ?? '', unit?.[1] ?? 0);
  const int = i.replace(/^0+(?=\d)/, '');
  const frac = f.replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}

// ---- yes/no ----

const YES_NO = new Map<string, boolean>([
  ...['是', 'y', 'yes', 'true', '1', '√'].map((k) => [k, true] as const),
  ...['否', 'n', 'no', 'false', '0', '×'].map((k) => [k, false] as const),
]);

function normalizeYesNo(s: string): boolean | string {
  return YES_NO.get(fold(s)) ?? s;
}

// ---- code lists ----

const CODE_SEPARATORS = /[、，,;；/／]/;

/** "其他－备案" -> "其他-备案": the open prefix in canonical form, the rest as delivered. */
function openValue(list: CodeList, s: string): string | undefined {
  const p = list.openPrefix;
  return p && s.length > p.length && s.slice(0, p.length).normalize('NFKC') === p ? p + s.slice(p.length).trim() : undefined;
}

// Code cells repeat a handful of spellings millions of times; their folded form is remembered.
const folded = new Map<string, string>();
function fold(s: string): string {
  let f = folded.get(s);
  if (f === undefined) {
    f = foldLabel(s);
    if (folded.size < 50_000) folded.set(s, f);
  }
  return f;
}

function normalizeCode(s: string, field: FieldSpec): string {
  const list = field.codelist!;
  const codes = list.lookup.get(fold(s));
  return codes?.length === 1 ? codes[0] : (openValue(list, s) ?? s);
}

function normalizeCodes(s: string, field: FieldSpec): readonly string[] | undefined {
  const list = field.codelist!;
  // Legacy labels such as 没收违法所得、没收非法财物 contain a separator, so the whole cell is tried first.
  const parts = list.lookup.has(fold(s)) ? [s] : s.split(CODE_SEPARATORS).map(clean).filter((p) => p !== undefined);
  const known = new Set<string>();
  const other = new Set<string>();
  for (const part of parts) {
    const codes = list.lookup.get(fold(part));
    if (codes) for (const c of codes) known.add(c);
    else other.add(openValue(list, part) ?? part);
  }
  if (known.size + other.size === 0) return undefined;
  return [...list.values.map((v) => v.code).filter((c) => known.has(c)), ...other];
}

const BY_KIND: Record<FieldKind, (s: string, field: FieldSpec) => FieldValue | undefined> = {
  text: (s) => s,
  uscc: identifier,
  orgCode: (s) => identifier(s).replace(/-/g, ''),
  certNumber: identifier,
  divisionCode: identifier,
  date: normalizeDate,
  dateOrLongTerm: normalizeDateOrLongTerm,
  month: normalizeMonth,
  amountWan: normalizeNumber,
  amountYuan: normalizeNumber,
  quantity: normalizeNumber,
  yesNo: normalizeYesNo,
  code: normalizeCode,
  codes: normalizeCodes,
};

/** The canonical value of one cell, or undefined when the cell is empty. */
export function normalizeValue(field: FieldSpec, raw: string): FieldValue | undefined {
  const s = clean(raw);
  return s === undefined ? undefined : BY_KIND[field.kind](s, field);
}

// ---- the record ----

export interface NormalizeNote {
  readonly code: IssueCode;
  readonly field: string;
  /** the cell as delivered */
  readonly value: string;
  readonly detail?: string;
  readonly detailEn?: string;
}

export interface NormalizeResult {
  readonly fields: Fields;
  readonly notes: readonly NormalizeNote[];
  /** field key -> the cell as delivered, for values converted from another unit */
  readonly originals: Readonly<Record<string, string>> | null;
}

const RESIDENT_ID = /^([0-9]{17}[0-9X]|[0-9]{15})$/;
// GB 32100-2015 (+XG1-2016) positions 1-2, shared/reference §3.3.
const USCC_PREFIXES = new Set(('11 12 13 19 21 29 31 32 33 34 35 39 41 49 51 52 53 59 61 62 69 71 72 79 81 89 '
  + '91 92 93 A1 A9 N1 N2 N3 N9 Y1').split(' '));
const PREFIX_CHECKED_FIELDS = ['subject_uscc', 'authority_uscc'];

function repairLegalRepId(raw: Readonly<Record<string, string>>, fields: Fields, notes: NormalizeNote[]): void {
  const number = fields.legal_rep_id_number;
  if (typeof number !== 'string') return;
  // Old feeds had only a 法定代表人身份证号 column.
  if (fields.legal_rep_id_type === undefined && RESIDENT_ID.test(number)) {
    fields.legal_rep_id_type = '身份证';
  }
  const type = fields.legal_rep_id_type;
  const value = raw.legal_rep_id_number;
  if (type === '身份证' && /^[0-9]{15}$/.test(number)) {
    const upgraded = upgradeResidentId15(number);
    fields.legal_rep_id_number = upgraded;
    notes.push({ code: 'W_ID_UPGRADED', field: 'legal_rep_id_number', value, detail: upgraded });
  } else if (typeof type === 'string' && Object.hasOwn(CERT_PATTERNS, type) && !CERT_PATTERNS[type].test(number)) {
    notes.push({ code: 'W_CERT_PATTERN', field: 'legal_rep_id_number', value, detail: type });
  }
}

/** Normalises every cell of a record (field key -> cell as delivered) and applies the cross-field repairs. */
export function normalizeRecord(spec: CategorySpec, raw: Readonly<Record<string, string>>): NormalizeResult {
  const fields: Fields = {};
  const notes: NormalizeNote[] = [];
  let originals: Record<string, string> | null = null;
  for (const key in raw) {
    const cell = raw[key];
    const field = spec.field.get(key);
    if (!field) throw new Error(`normalizeRecord: ${spec.id} has no field ${key}`);
    const value = normalizeValue(field, cell);
    if (value === undefined) continue;
    fields[key] = value;
    if (field.unit && typeof value === 'string' && value !== cell && convertedUnit(cell, field)) {
      (originals ??= {})[key] = cell;
      notes.push({ code: 'W_UNIT_CONVERTED', field: key, value: cell, detail: `${value}${field.unit}`, detailEn: `${value} (${UNIT_EN[field.unit] ?? field.unit})` });
    }
  }
  repairLegalRepId(raw, fields, notes);
  for (const key of PREFIX_CHECKED_FIELDS) {
    const v = fields[key];
    // A bad check character is the validator's error; the prefix table is only a warning (reference §3.3).
    // The prefix is looked up first: the validator checks the code again, so only an unknown prefix pays twice.
    if (typeof v === 'string' && !USCC_PREFIXES.has(v.slice(0, 2)) && usccProblem(v) === null) {
      notes.push({ code: 'W_USCC_PREFIX', field: key, value: raw[key] });
    }
  }
  deriveMissing(spec, fields, notes);
  return { fields, notes, originals };
}
