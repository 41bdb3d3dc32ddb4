// Each message is wholly in its language: the Chinese one has no English fragments (a rule name such as
// checkChar, "≤ 6 decimals"), the English one no Chinese. What the clerk's file says (column names,
// values) is quoted as delivered and is not part of this rule, so the checks replace it by a marker.
import { describe, expect, it } from 'vitest';
import { category } from '../schemas/registry.ts';
import { ISSUES, makeIssue, type IssueCode } from './issues.ts';
import { budgetRefusal } from './run-batch.ts';
import { normalizeRecord } from './stages/normalize.ts';
import { resolveSourceUnit } from './stages/provenance.ts';
import { validateRecord } from './stages/validate.ts';
import { findProviderUnit } from '../schemas/registry.ts';
import type { RowIssue } from './types.ts';

// Standard designations, file formats, products and characters a Chinese message names as such.
const ZH_ALLOWED = /GB(?:\/T)? ?\d+|UTF-8|GBK|CSV|NUL|Excel|WPS|\.xlsx|Y{4}[-/]?M{1,2}(?:[-/]?D{1,2})?|YYYY年M月D日|[IOSVZX](?=[、）)]|$)/g;
// The Chinese an English message cites as the thing to type: 是/否, 罚款, the date spelling 年月日.
const EN_ALLOWED = /YYYY年M月D日|是|否|罚款/g;
const MARK = '⟦⟧';

function zhProblem(s: string): string | null {
  const rest = s.replace(ZH_ALLOWED, '');
  return /[A-Za-z]{2,}|≤/.test(rest) ? rest : null;
}
function enProblem(s: string): string | null {
  const rest = s.replace(EN_ALLOWED, '');
  return /[\u3400-\u9fff\uff01-\uff5e「」、，；：（）]/.test(rest) ? rest : null;
}

/** The messages with the file's own words (column, value, quoted data) replaced by a marker. */
function stripped(i: RowIssue, data: readonly string[]): { zh: string; en: string } {
  let zh = i.messageZh;
  let en = i.messageEn;
  for (const d of [i.column, i.value, ...data].filter((x): x is string => !!x).sort((a, b) => b.length - a.length)) {
    zh = zh.replaceAll(d, MARK);
    en = en.replaceAll(d, MARK);
  }
  return { zh, en };
}

describe('message templates', () => {
  it.each(Object.keys(ISSUES) as IssueCode[])('%s', (code) => {
    const i = makeIssue(code, { line: 2, column: MARK, value: MARK, detail: MARK });
    expect(zhProblem(i.messageZh), i.messageZh).toBeNull();
    expect(enProblem(i.messageEn), i.messageEn).toBeNull();
  });
});

describe('messages as the stages make them', () => {
  const penalty = category('penalty');
  const codeValues = [...penalty.fields.flatMap((f) => f.codelist?.values.map((v) => v.code) ?? [])];

  it('validation errors with details (amount rule, identity-number problem, code list, date order)', () => {
    const raw = {
      subject_name: '某公司', subject_uscc: '91371300328348377M', subject_type: '法人', decision_no: '1', violation_type: 'x', violation_facts: 'x',
      legal_basis: 'x', content: '罚款', decision_date: '2024-05-20', valid_until: '2024-01-01', publicity_end: '2024-01-01', authority_name: 'x',
      authority_uscc: '11371300MB2850359P', fine_amount: '1.1234567', legal_rep_id_type: '身份证', legal_rep_id_number: '371302198507160018',
      penalty_kinds: '罚没',
    };
    const { fields } = normalizeRecord(penalty, raw);
    const issues = validateRecord(penalty, fields, { line: 2, original: raw, headerOf: () => undefined });
    expect(issues.map((i) => i.code).sort()).toEqual(['E_AMOUNT', 'E_CODE_UNKNOWN', 'E_DATE_ORDER', 'E_DATE_ORDER', 'E_FINE_WITHOUT_KIND', 'E_ID_NUMBER', 'E_USCC_CHECK']);
    const labels = penalty.fields.map((f) => f.labelZh);
    for (const i of issues) {
      const { zh, en } = stripped(i, [...codeValues, ...labels]);
      expect(zhProblem(zh), i.messageZh).toBeNull();
      expect(enProblem(en), i.messageEn).toBeNull();
    }
  });

  it('the source-unit error and the error-budget refusal', () => {
    const spec = category('licensing');
    const r = resolveSourceUnit(spec, { source_unit: '临沂市生态环境局' }, findProviderUnit('approval')!, 2, '数据提供单位');
    const budget = budgetRefusal(10, 6, { maxRejectRatio: 0.5, maxRejects: 3 })!;
    for (const i of [(r as { issue: RowIssue }).issue, budget]) {
      const { zh, en } = stripped(i, ['临沂市行政审批服务局']);
      expect(zhProblem(zh), i.messageZh).toBeNull();
      expect(enProblem(en), i.messageEn).toBeNull();
    }
  });
});
