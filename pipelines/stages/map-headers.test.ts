import { describe, expect, it } from 'vitest';
import { category } from '../../schemas/registry.ts';
import { mapHeaders } from './map-headers.ts';

const penalty = category('penalty');
const required = penalty.fields.filter((f) => f.required).map((f) => f.labelZh);

describe('mapHeaders', () => {
  it('maps Chinese labels, aliases, English keys and full-width forms in any order', () => {
    const headers = ['decision_no', ' 行政相对人代码＿1 ', ...required.filter((l) => l !== '行政处罚决定文书号' && l !== '统一社会信用代码').reverse(), '罚款金额（万元）'];
    const m = mapHeaders(penalty, headers);
    expect(m.refusal).toBeNull();
    expect(m.warnings).toEqual([]);
    expect(m.map.columns[0]?.key).toBe('decision_no');
    expect(m.map.columns[1]?.key).toBe('subject_uscc');
    expect(m.map.columns.at(-1)?.key).toBe('fine_amount');
  });

  it('warns about unknown and repeated columns and does not load them', () => {
    const m = mapHeaders(penalty, [...required, '内部编号', '企业名称', '']);
    expect(m.refusal).toBeNull();
    expect(m.warnings.map((w) => [w.code, w.column])).toEqual([['W_UNKNOWN_COLUMN', '内部编号'], ['W_DUPLICATE_COLUMN', '企业名称']]);
    expect(m.map.columns.slice(-3)).toEqual([undefined, undefined, undefined]);
  });

  it('refuses with one message naming every missing required column', () => {
    const m = mapHeaders(penalty, required.filter((l) => l !== '违法事实' && l !== '行政处罚决定日期'));
    expect(m.refusal?.code).toBe('R_MISSING_COLUMNS');
    expect(m.refusal?.messageZh).toBe('缺少必填列：违法事实、行政处罚决定日期');
    expect(m.refusal?.messageEn).toContain('违法事实、行政处罚决定日期');
  });
});
