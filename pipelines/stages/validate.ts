// Canonical record -> the list of its problems, each naming the column in Chinese and quoting the
// cell as delivered. The JSON Schemas are compiled once per category (Ajv, allErrors); the checks
// the standard keywords cannot express (check characters, code lists, date order) are keywords here.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { orgCodeProblem, residentIdProblem, usccProblem, type UsccProblem } from '../../lib/checks.ts';
import { codeLists, commonSchema, type CategorySpec, type FieldSpec } from '../../schemas/registry.ts';
import { makeIssue, type IssueCode } from '../issues.ts';
import type { Fields, RowIssue } from '../types.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020, formats: string[]) => void;

const USCC_CODES: Record<UsccProblem, IssueCode> = {
  length: 'E_USCC_LENGTH', charset: 'E_USCC_CHARSET', region: 'E_USCC_REGION', checkChar: 'E_USCC_CHECK', orgCode: 'E_USCC_ORG_CHECK',
};

function buildAjv(allErrors: boolean): Ajv2020 {
  const ajv = new Ajv2020({ allErrors, strict: true, strictTypes: false });
  addFormats(ajv, ['date']);
  ajv.addVocabulary(['x-category', 'x-names', 'x-version', 'x-sharing', 'x-grain', 'x-natural-key', 'x-event-date',
    'x-source-unit-field', 'x-label-zh', 'x-label-en', 'x-annex', 'x-aliases', 'x-unit', 'x-sensitivity', 'x-kind-zh', 'x-composites', 'x-annex-fields']);
  // Check-character keywords: each reports the first problem its checker finds.
  for (const [keyword, problemOf] of [['uscc', usccProblem], ['orgCode', orgCodeProblem], ['cnResidentId', residentIdProblem]] as const) {
    ajv.addKeyword({
      keyword, type: 'string', schemaType: 'boolean', errors: true,
      validate: function v(_s: boolean, data: string) {
        const problem = problemOf(data);
        (v as any).errors = problem ? [{ keyword, params: { problem } }] : null;
        return problem === null;
      },
    });
  }
  ajv.addKeyword({
    keyword: 'x-codelist', schemaType: 'string', errors: true,
    validate: function v(id: string, data: unknown) {
      const list = codeLists.get(id)!;
      const ok = (x: unknown) => typeof x === 'string'
        && (list.values.some((c) => c.code === x) || (list.openPrefix !== undefined && x.startsWith(list.openPrefix) && x.length > list.openPrefix.length));
      const bad = (Array.isArray(data) ? data : [data]).filter((x) => !ok(x));
      (v as any).errors = bad.length ? [{ keyword: 'x-codelist', params: { bad } }] : null;
      return bad.length === 0;
    },
  });
  // Only two real days are ordered: an impossible date has its own error, and comparing its text would add a false one.
  const isDay = (x: unknown): x is string => {
    if (typeof x !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(x)) return false;
    const t = new Date(`${x}T00:00:00Z`);
    return !Number.isNaN(t.getTime()) && t.toISOString().startsWith(x);
  };
  ajv.addKeyword({
    keyword: 'dateOrder', type: 'object', schemaType: 'array', errors: true,
    validate: function v(pairs: [string, string][], data: Record<string, unknown>) {
      const errors = pairs.filter(([a, b]) => isDay(data[a]) && isDay(data[b]) && (data[b] as string) < (data[a] as string))
        .map(([a, b]) => ({ keyword: 'dateOrder', params: { field: b, after: a } }));
      (v as any).errors = errors.length ? errors : null;
      return errors.length === 0;
    },
  });
  ajv.addSchema(commonSchema);
  return ajv;
}

// Most rows are valid: a validator that stops at the first error answers them faster, and only a
// row it fails goes through the one that collects every error.
interface Validators { readonly firstError: ValidateFunction; readonly allErrors: ValidateFunction }
let ajvs: { first: Ajv2020; all: Ajv2020 } | undefined;
const compiled = new Map<string, Validators>();

function validatorsFor(spec: CategorySpec): Validators {
  let v = compiled.get(spec.id);
  if (!v) {
    ajvs ??= { first: buildAjv(false), all: buildAjv(true) };
    v = { firstError: ajvs.first.compile(spec.schema), allErrors: ajvs.all.compile(spec.schema) };
    compiled.set(spec.id, v);
  }
  return v;
}

const KIND_CODES: Partial<Record<FieldSpec['kind'], IssueCode>> = {
  date: 'E_DATE', dateOrLongTerm: 'E_DATE', month: 'E_MONTH', amountWan: 'E_AMOUNT', amountYuan: 'E_AMOUNT',
  quantity: 'E_QUANTITY', yesNo: 'E_YES_NO', divisionCode: 'E_DIVISION_CODE',
};
const AMOUNT_RULE: Partial<Record<FieldSpec['kind'], { zh: string; en: string }>> = {
  amountWan: { zh: '单位万元，最多6位小数', en: 'in 10,000 yuan, up to 6 decimals' },
  amountYuan: { zh: '单位元，最多2位小数', en: 'in yuan, up to 2 decimals' },
};
const ID_PROBLEM: Record<string, { zh: string; en: string }> = {
  length: { zh: '应为18位', en: 'it must have 18 characters' },
  charset: { zh: '前17位应为数字，末位为数字或X', en: 'the first 17 characters must be digits and the last a digit or X' },
  birthDate: { zh: '出生日期不存在', en: 'the date of birth does not exist' },
  checkChar: { zh: '校验码错误', en: 'the check character is wrong' },
};

// Ajv's own message is English: the Chinese message says what kind of rule failed.
const RULE_ZH: Readonly<Record<string, string>> = { type: '类型不对', pattern: '格式不对', format: '格式不对', const: '取值不对', enum: '取值不对', contains: '缺少应有的取值' };
const invalid = (field: FieldSpec, e: ErrorObject): Located => ({ field, code: 'E_INVALID', detail: RULE_ZH[e.keyword] ?? '不符合字段规则', detailEn: e.message ?? e.keyword });

interface Located { field: FieldSpec; code: IssueCode; detail?: string; detailEn?: string }

function locate(spec: CategorySpec, e: ErrorObject): Located | null {
  const pathKey = e.instancePath.split('/')[1];
  const p = e.params as Record<string, any>;
  const fieldOf = (k: string | undefined) => (k ? spec.field.get(k) : undefined);
  switch (e.keyword) {
    case 'required': {
      const field = fieldOf(p.missingProperty);
      return field ? { field, code: 'E_REQUIRED' } : null;
    }
    case 'dependentRequired': {
      const field = fieldOf(p.missingProperty);
      return field ? { field, code: 'E_REQUIRED_WITH', detail: fieldOf(p.property)?.labelZh } : null;
    }
    case 'dateOrder': {
      const field = fieldOf(p.field);
      return field ? { field, code: 'E_DATE_ORDER', detail: fieldOf(p.after)?.labelZh } : null;
    }
    case 'if': return null; // the failing `then` branch reports the real problem
    case 'anyOf': {
      // water and gas: a row carries a monthly bill or the provider's figures
      const field = fieldOf('billing_month');
      return field ? { field, code: 'E_UTILITY_EMPTY' } : null;
    }
  }
  const field = fieldOf(pathKey);
  if (!field) return null;
  switch (e.keyword) {
    case 'uscc': return { field, code: USCC_CODES[p.problem as UsccProblem] };
    case 'orgCode': return { field, code: 'E_ORG_CODE' };
    case 'cnResidentId': return { field, code: 'E_ID_NUMBER', detail: ID_PROBLEM[p.problem]?.zh ?? p.problem, detailEn: ID_PROBLEM[p.problem]?.en };
    case 'x-codelist': {
      const list = field.codelist!;
      const allowed = [...list.values.map((c) => c.code), ...(list.openPrefix ? [`${list.openPrefix}…`] : [])];
      return { field, code: 'E_CODE_UNKNOWN', detail: allowed.join('、'), detailEn: allowed.join(', ') };
    }
    case 'contains': return field.key === 'penalty_kinds' ? { field, code: 'E_FINE_WITHOUT_KIND' } : invalid(field, e);
    case 'maxLength': return { field, code: 'E_TOO_LONG', detail: String(p.limit) };
    case 'minLength': case 'minItems': return { field, code: 'E_REQUIRED' };
  }
  const kindCode = KIND_CODES[field.kind];
  if (kindCode) return { field, code: kindCode, detail: AMOUNT_RULE[field.kind]?.zh, detailEn: AMOUNT_RULE[field.kind]?.en };
  return invalid(field, e);
}

export interface ValidateContext {
  readonly line: number;
  /** field key -> the cell as delivered, quoted in messages */
  readonly original: Readonly<Record<string, string>>;
  /** field key -> the header the file used for it */
  readonly headerOf: (fieldKey: string) => string | undefined;
}

/** Every problem of one canonical record; an empty list means it is valid. Never throws for bad data. */
export function validateRecord(spec: CategorySpec, fields: Fields, ctx: ValidateContext): RowIssue[] {
  const { firstError, allErrors: fn } = validatorsFor(spec);
  if (firstError(fields) || fn(fields)) return [];
  const issues: RowIssue[] = [];
  const seen = new Set<string>();
  for (const e of fn.errors ?? []) {
    // `contains` also reports each item that missed its const; the `contains` error itself says it all
    if (e.schemaPath.includes('/contains/') || e.schemaPath.includes('/anyOf/')) continue;
    const at = locate(spec, e);
    if (!at) continue;
    const dedupe = `${at.field.key}:${at.code}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    issues.push(makeIssue(at.code, {
      line: ctx.line, field: at.field.key, column: ctx.headerOf(at.field.key) ?? at.field.labelZh,
      value: ctx.original[at.field.key], detail: at.detail, detailEn: at.detailEn,
    }));
  }
  return issues;
}
