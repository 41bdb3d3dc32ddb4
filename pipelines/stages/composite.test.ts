import { describe, expect, it } from 'vitest';
import { category, findProviderUnit, resolveComposite } from '../../schemas/registry.ts';
import { checkRow } from '../process-row.ts';
import type { RowIssue } from '../types.ts';
import { mapHeaders } from './map-headers.ts';
import { splitComposite } from './composite.ts';

const water = category('water');
const gas = category('gas');
const licensing = category('licensing');
const account = resolveComposite(water, '水用户信息(户名户号)')!;
const bill = resolveComposite(water, '缴纳水费明细')!;
const validity = resolveComposite(licensing, '行政许可有效期')!;

describe('户名户号 in one cell', () => {
  it.each([
    ['临沂某公司/LS1007919', '临沂某公司', 'LS1007919'],
    ['临沂某公司／LS1007919', '临沂某公司', 'LS1007919'],
    ['临沂某公司（LS1007919）', '临沂某公司', 'LS1007919'],
    ['临沂某公司(LS1007919)', '临沂某公司', 'LS1007919'],
    ['临沂某（集团）有限公司（LS1007919）', '临沂某（集团）有限公司', 'LS1007919'],
    [' 临沂某公司 / LS1007919 ', '临沂某公司', 'LS1007919'],
    ['LS1007919/临沂某公司', '临沂某公司', 'LS1007919'],
  ])('%s', (cell, name, no) => {
    expect(splitComposite(water, account, cell)).toEqual({ ok: true, cells: { account_name: name, account_no: no } });
  });

  it('a number alone is the account number; a name alone cannot be split', () => {
    expect(splitComposite(water, account, 'LS1007919')).toEqual({ ok: true, cells: { account_no: 'LS1007919' } });
    expect(splitComposite(water, account, '临沂某公司').ok).toBe(false);
  });

  it('resolves the annex spelling in either bracket width, for gas too', () => {
    expect(resolveComposite(water, '水用户信息（户名户号）')).toBe(account);
    expect(resolveComposite(gas, '燃气用户信息(户名户号)')?.into).toEqual(['account_name', 'account_no']);
  });
});

describe('缴纳水费明细 in one cell', () => {
  it('label:value pairs, labels being the split columns\' headers or aliases, in any order', () => {
    expect(splitComposite(water, bill, '用水量：130吨；账期：2024-05；应缴金额:520元;实缴金额=0')).toEqual({
      ok: true, cells: { usage: '130吨', billing_month: '2024-05', amount_due: '520元', amount_paid: '0' },
    });
    expect(splitComposite(water, bill, '账期:2024-06\n用水量:1,250.5\n应缴水费:5,002.00\n实缴水费:4,000.00')).toEqual({
      ok: true, cells: { billing_month: '2024-06', usage: '1,250.5', amount_due: '5,002.00', amount_paid: '4,000.00' },
    });
  });

  it('the values alone, separated by spaces, in the declared order', () => {
    expect(splitComposite(water, bill, '2024-06 140 560 1080 2024-07-09')).toEqual({
      ok: true, cells: { billing_month: '2024-06', usage: '140', amount_due: '560', amount_paid: '1080', paid_date: '2024-07-09' },
    });
    // a comma is never a separator there: 1,250.5 stays one number
    expect(splitComposite(water, bill, '2024-06　1,250.5 5,002.00 5,002.00')).toEqual({
      ok: true, cells: { billing_month: '2024-06', usage: '1,250.5', amount_due: '5,002.00', amount_paid: '5,002.00' },
    });
  });

  it('refuses labels that are not part of the bill, repeated labels, a mix of forms and too many values', () => {
    expect(splitComposite(water, bill, '账期:2024-06;户号:LS1').ok).toBe(false);
    expect(splitComposite(water, bill, '账期:2024-06;账期:2024-07').ok).toBe(false);
    expect(splitComposite(water, bill, '账期:2024-06;140').ok).toBe(false);
    expect(splitComposite(water, bill, '2024-06 1 2 3 2024-07-01 0 9').ok).toBe(false);
  });
});

describe('行政许可有效期', () => {
  it.each([
    ['2029-03-14', { valid_to: '2029-03-14' }],
    ['长期', { valid_to: '长期' }],
    ['2024-03-15至2029-03-14', { valid_from: '2024-03-15', valid_to: '2029-03-14' }],
    ['2024.03.15-2029.03.14', { valid_from: '2024.03.15', valid_to: '2029.03.14' }],
    ['2024-03-15-2029-03-14', { valid_from: '2024-03-15', valid_to: '2029-03-14' }],
    ['2024/3/15 ~ 2029/3/14', { valid_from: '2024/3/15', valid_to: '2029/3/14' }],
    ['2024年3月15日至长期', { valid_from: '2024年3月15日', valid_to: '长期' }],
    ['20240315-20290314', { valid_from: '20240315', valid_to: '20290314' }],
    ['自2024年3月15日至2029年3月14日', { valid_from: '2024年3月15日', valid_to: '2029年3月14日' }],
  ])('%s', (cell, cells) => {
    expect(splitComposite(licensing, validity, cell)).toEqual({ ok: true, cells });
  });
});

describe('header mapping with composite columns', () => {
  it('an annex-exact water header covers the required 户号 through its composite column', () => {
    const m = mapHeaders(water, water.annexFields);
    expect(m.refusal).toBeNull();
    expect(m.warnings).toEqual([]);
    expect(m.map.composites.map(([i, c]) => [i, c.labelZh])).toEqual([[2, '水用户信息(户名户号)'], [3, '缴纳水费明细']]);
    // messages name the part inside the composite column
    expect(m.map.headerOf('account_no')).toBe('水用户信息(户名户号)（户号）');
  });

  it('a split column wins over the composite\'s part', () => {
    const m = mapHeaders(water, ['企业名称', '统一社会信用代码', '水用户信息(户名户号)', '户号']);
    expect(m.map.headerOf('account_no')).toBe('户号');
    expect(m.map.headerOf('account_name')).toBe('水用户信息(户名户号)（户名）');
  });

  it('without 户号 in any form the batch is refused', () => {
    expect(mapHeaders(water, ['企业名称', '统一社会信用代码', '缴纳水费明细']).refusal?.messageZh).toBe('缺少必填列：户号');
  });
});

describe('a row with composite cells', () => {
  const deliverer = findProviderUnit('water-utility')!;
  const header = mapHeaders(water, water.annexFields).map;
  const row = (cells: string[]) => checkRow(water, header, { line: 2, cells }, deliverer);
  const ent = ['临沂某公司', '91371300328348377N'];

  it('is split, normalised and validated like the split columns', () => {
    const r = row([...ent, '临沂某公司/LS1', '账期:2024年6月;用水量:12吨;应缴金额:0.01万;实缴金额:100', '', '', '']);
    expect(r).toMatchObject({ kind: 'valid', fields: { account_name: '临沂某公司', account_no: 'LS1', billing_month: '2024-06', usage: '12', amount_due: '100', amount_paid: '100', _original: { amount_due: '0.01万' } } });
  });

  it('a cell in none of the forms is rejected with the forms it may take', () => {
    const r = row([...ent, '临沂某公司', '', '1', '', '']);
    expect(r.kind).toBe('rejected');
    const issue = (r as unknown as { issues: RowIssue[] }).issues[0];
    expect(issue).toMatchObject({ code: 'E_COMPOSITE', column: '水用户信息(户名户号)', value: '临沂某公司' });
    expect(issue.messageZh).toContain('临沂某公司/LS1007919');
  });

  it('a cell that cannot be split is reported with the row\'s other problems, not again as the fields it should give', () => {
    const r = row(['临沂某公司', '91371300328348377M', '临沂某公司', '账期:2024-06;用水量:1;应缴金额:1;实缴金额:1', '', '', '']) as unknown as { issues: RowIssue[] };
    expect(r.issues.map((i) => i.code)).toEqual(['E_COMPOSITE', 'E_USCC_CHECK']);
  });

  it('a bad part is reported under the composite column, naming the part', () => {
    const r = row([...ent, '临沂某公司/LS1', '账期:2024-13;用水量:1;应缴金额:1;实缴金额:1', '', '', '']) as unknown as { issues: RowIssue[] };
    expect(r.issues.map((i) => [i.code, i.column, i.value])).toEqual([['E_MONTH', '缴纳水费明细（账期）', '2024-13']]);
  });

  it('an indicator-only row is valid; a row with neither a bill nor indicators is not', () => {
    expect(row([...ent, '临沂某公司/LS1', '', '12.5', '', '是']).kind).toBe('valid');
    const r = row([...ent, '临沂某公司/LS1', '', '', '', '']) as unknown as { issues: RowIssue[] };
    expect(r.issues.map((i) => i.code)).toEqual(['E_UTILITY_EMPTY']);
  });

  it('a bill without its amounts is incomplete', () => {
    const r = row([...ent, '临沂某公司/LS1', '2024-06 12', '', '', '']) as unknown as { issues: RowIssue[] };
    expect(r.issues.map((i) => [i.code, i.field])).toEqual([['E_REQUIRED_WITH', 'amount_due'], ['E_REQUIRED_WITH', 'amount_paid']]);
  });
});
