import { describe, expect, it } from 'vitest';
import { category } from '../../schemas/registry.ts';
import type { Fields } from '../types.ts';
import { validateRecord } from './validate.ts';

const penalty = category('penalty');
const good: Fields = {
  subject_name: '临沂市兰山区示例商贸有限公司', subject_uscc: '91371300328348377N', subject_type: '法人及非法人组织',
  decision_no: '临环罚字〔2024〕第0123号', violation_type: '违反大气污染防治管理制度', violation_facts: '未按规定安装自动监测设备',
  legal_basis: '《中华人民共和国大气污染防治法》第一百条', penalty_kinds: ['罚款'], content: '罚款人民币贰万元整', fine_amount: '2',
  decision_date: '2024-05-20', valid_until: '2025-05-19', authority_name: '临沂市生态环境局', authority_uscc: '11230500001755309F',
};
const ctx = (original: Record<string, string> = {}) => ({ line: 7, original, headerOf: (k: string) => (k === 'subject_uscc' ? '行政相对人代码_1' : undefined) });
const codes = (f: Fields) => validateRecord(penalty, f, ctx()).map((i) => `${i.field}:${i.code}`);

describe('validateRecord', () => {
  it('accepts a valid record', () => {
    expect(validateRecord(penalty, good, ctx())).toEqual([]);
  });

  it('reports every problem of a row at once, each with line, column, original value and both messages', () => {
    const issues = validateRecord(penalty, { ...good, subject_uscc: '91371300328348377M', decision_date: '2024-02-30', violation_facts: undefined as any },
      ctx({ subject_uscc: '91371300328348377m ', decision_date: '2024/2/30' }));
    expect(issues.map((i) => i.code).sort()).toEqual(['E_DATE', 'E_REQUIRED', 'E_USCC_CHECK']);
    const uscc = issues.find((i) => i.code === 'E_USCC_CHECK')!;
    expect(uscc).toMatchObject({ line: 7, column: '行政相对人代码_1', field: 'subject_uscc', value: '91371300328348377m ' });
    expect(uscc.messageZh).toContain('校验位错误');
    expect(uscc.messageEn).toContain('GB 32100');
    expect(issues.find((i) => i.code === 'E_DATE')).toMatchObject({ column: '行政处罚决定日期', value: '2024/2/30' });
  });

  it('checks USCC charset, embedded organisation code and length', () => {
    expect(codes({ ...good, subject_uscc: '91371300328348377I' })).toEqual(['subject_uscc:E_USCC_CHARSET']);
    expect(codes({ ...good, subject_uscc: '9137130032834837' })).toEqual(['subject_uscc:E_USCC_LENGTH']);
    expect(codes({ ...good, authority_uscc: '00000000000000000X' })).toEqual(['authority_uscc:E_USCC_CHARSET'.replace('CHARSET', 'CHECK')]);
  });

  it('checks a 身份证 number with GB 11643, other certificate types not', () => {
    expect(codes({ ...good, legal_rep_id_type: '身份证', legal_rep_id_number: '360426199101010072' })).toEqual(['legal_rep_id_number:E_ID_NUMBER']);
    expect(codes({ ...good, legal_rep_id_type: '身份证', legal_rep_id_number: '11010519491231002X' })).toEqual([]);
    expect(codes({ ...good, legal_rep_id_type: '护照号', legal_rep_id_number: 'E12345678' })).toEqual([]);
  });

  it('checks code lists, open 其他- values, amounts and the fine/kind rule', () => {
    expect(codes({ ...good, subject_type: '法人' })).toEqual(['subject_type:E_CODE_UNKNOWN']);
    expect(codes({ ...good, penalty_kinds: ['罚款', '责令改正'] })).toEqual(['penalty_kinds:E_CODE_UNKNOWN']);
    expect(codes({ ...good, fine_amount: '1.1234567' })).toEqual(['fine_amount:E_AMOUNT']);
    expect(codes({ ...good, fine_amount: '0.000001' })).toEqual([]);
    expect(codes({ ...good, penalty_kinds: ['警告'] })).toEqual(['penalty_kinds:E_FINE_WITHOUT_KIND']);
    expect(codes({ ...good, penalty_kinds: ['警告'], fine_amount: '0' })).toEqual([]);
    const licensing = category('licensing');
    const lic = { subject_name: 'x', subject_uscc: good.subject_uscc, subject_type: '自然人', decision_doc_name: 'd', decision_no: 'n', licence_kind: '其他-备案', decision_date: '2024-01-01', authority_name: 'a', authority_uscc: good.authority_uscc };
    expect(validateRecord(licensing, lic, ctx())).toEqual([]);
    expect(validateRecord(licensing, { ...lic, valid_from: '2024-02-01', valid_to: '2024-01-01' }, ctx()).map((i) => i.code)).toEqual(['E_DATE_ORDER']);
  });

  it('checks months, quantities and yes/no of the utility categories', () => {
    const water = category('water');
    const w = { subject_name: 'x', subject_uscc: good.subject_uscc, account_name: 'x', account_no: 'LS1', billing_month: '2024-06', usage: '12.5', amount_due: '50.1', amount_paid: '50.1' };
    expect(validateRecord(water, w, ctx())).toEqual([]);
    const bad = validateRecord(water, { ...w, billing_month: '2024-13', usage: '1.2345', in_arrears: 'maybe' }, ctx()).map((i) => i.code).sort();
    expect(bad).toEqual(['E_MONTH', 'E_QUANTITY', 'E_YES_NO']);
  });

  it('checks that validity and publicity do not end before the decision', () => {
    expect(codes({ ...good, valid_until: '2024-05-19', publicity_end: '2024-05-01' })).toEqual(['valid_until:E_DATE_ORDER', 'publicity_end:E_DATE_ORDER']);
    expect(codes({ ...good, valid_until: '2024-05-20', publicity_end: '2024-05-20' })).toEqual([]);
    // an impossible decision date is one error, not also an order the dates do not have
    expect(codes({ ...good, decision_date: '2024-13-45', publicity_end: '2023-11-06' })).toEqual(['decision_date:E_DATE']);
    expect(codes({ ...good, decision_date: '2024-02-30', publicity_end: '2024-02-01' })).toEqual(['decision_date:E_DATE']);
    const licensing = category('licensing');
    const licence: Fields = {
      subject_name: 'x', subject_uscc: '91371300328348377N', subject_type: '法人及非法人组织', decision_doc_name: 'x', decision_no: '1', licence_kind: '普通',
      decision_date: '2024-03-15', authority_name: 'x', authority_uscc: '11230500001755309F',
    };
    const licenceCodes = (f: Fields) => validateRecord(licensing, f, ctx()).map((i) => `${i.field}:${i.code}`);
    expect(licenceCodes({ ...licence, valid_to: '2024-03-14' })).toEqual(['valid_to:E_DATE_ORDER']);
    expect(licenceCodes({ ...licence, valid_from: '2024-03-16', valid_to: '2024-03-15' })).toEqual(['valid_to:E_DATE_ORDER']);
    expect(licenceCodes({ ...licence, valid_from: '2024-03-15', valid_to: '2099-12-31' })).toEqual([]);
  });
});
