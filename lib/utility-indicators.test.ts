// Hand-computed cases for the water and gas indicators (docs/data-contract.md, "Indicators"). Every
// expected figure below was worked out on paper from the bills listed in the case, not by the module.
import { describe, expect, it } from 'vitest';
import { accountIndicators, compareStated, enterpriseIndicators, shanghaiToday, windowMonths, type Bill } from './utility-indicators.ts';

const bill = (accountNo: string, month: string, usage: string, due = '100', paid = due): Bill => ({ accountNo, month, usage, amountDue: due, amountPaid: paid });

// As of 2024-07-15 the 3-month window is 2024-04..06 and the 6-month window 2024-01..06.
const AS_OF = '2024-07-15';

describe('calendar windows relative to the as-of date', () => {
  it('are the full months before the as-of month, across a year end', () => {
    expect(windowMonths('2024-07-15', 3)).toEqual(['2024-04', '2024-05', '2024-06']);
    expect(windowMonths('2024-01-10', 3)).toEqual(['2023-10', '2023-11', '2023-12']);
    expect(windowMonths('2024-03-01', 6)).toEqual(['2023-09', '2023-10', '2023-11', '2023-12', '2024-01', '2024-02']);
  });

  it('the default as-of date is the calendar day in Asia/Shanghai', () => {
    // 16:30 UTC on 30 June is 00:30 on 1 July in Shanghai
    expect(shanghaiToday(new Date('2024-06-30T16:30:00Z'))).toBe('2024-07-01');
    expect(shanghaiToday(new Date('2024-06-30T15:59:59Z'))).toBe('2024-06-30');
  });
});

describe('one account', () => {
  it('a gap inside the window is reported as missing, and the average is over the billed months only', () => {
    const bills = [bill('A', '2024-01', '10'), bill('A', '2024-02', '20'), bill('A', '2024-03', '30'), bill('A', '2024-04', '40'), bill('A', '2024-06', '60')];
    const a = accountIndicators(bills, AS_OF);
    // 3 months: 04 (40) + 06 (60) = 100 over 2 billed months = 50; 05 missing
    expect(a.avg3m).toEqual({ months: ['2024-04', '2024-05', '2024-06'], billedMonths: 2, missingMonths: ['2024-05'], average: 50, status: 'partial' });
    // 6 months: 10 + 20 + 30 + 40 + 60 = 160 over 5 = 32; 05 missing
    expect(a.avg6m).toMatchObject({ billedMonths: 5, missingMonths: ['2024-05'], average: 32, status: 'partial' });
    expect(a.noRecentData).toBe(false);
    expect(a.latestMonth).toBe('2024-06');
  });

  it('a complete window has no missing months', () => {
    const bills = [bill('A', '2024-04', '12.5'), bill('A', '2024-05', '10'), bill('A', '2024-06', '7.6')];
    // (12.5 + 10 + 7.6) / 3 = 30.1 / 3 = 10.033 (3 decimals)
    expect(accountIndicators(bills, AS_OF).avg3m).toMatchObject({ billedMonths: 3, missingMonths: [], average: 10.033, status: 'complete' });
  });

  it('a stale account (no bill in the window) says 无近期数据 instead of its old figures', () => {
    const bills = [bill('B', '2023-10', '100'), bill('B', '2023-11', '100'), bill('B', '2023-12', '100')];
    const a = accountIndicators(bills, AS_OF);
    expect(a.avg3m).toMatchObject({ billedMonths: 0, average: null, status: 'no_recent_data' });
    expect(a.avg6m).toMatchObject({ billedMonths: 0, average: null, status: 'no_recent_data' });
    expect(a.avg6m.missingMonths).toHaveLength(6);
    expect(a.noRecentData).toBe(true);
    expect(a.latestMonth).toBe('2023-12');
  });

  it('a window only partly covered (account opened in May) lists the months before the first bill as missing', () => {
    const bills = [bill('D', '2024-05', '30'), bill('D', '2024-06', '60')];
    const a = accountIndicators(bills, AS_OF);
    // (30 + 60) / 2 = 45 in both windows
    expect(a.avg3m).toMatchObject({ billedMonths: 2, missingMonths: ['2024-04'], average: 45, status: 'partial' });
    expect(a.avg6m).toMatchObject({ billedMonths: 2, missingMonths: ['2024-01', '2024-02', '2024-03', '2024-04'], average: 45, status: 'partial' });
  });

  it('bills of the as-of month and later are outside the windows', () => {
    const bills = [bill('A', '2024-06', '60'), bill('A', '2024-07', '999'), bill('A', '2024-08', '999')];
    expect(accountIndicators(bills, AS_OF).avg3m).toMatchObject({ billedMonths: 1, average: 60 });
  });
});

describe('当前是否欠费 follows the running balance', () => {
  it('a catch-up payment clears the earlier months\' debt', () => {
    // due 100 + 100 + 100 = 300, paid 0 + 0 + 300 = 300: balance 0
    const bills = [bill('A', '2024-04', '1', '100', '0'), bill('A', '2024-05', '1', '100', '0'), bill('A', '2024-06', '1', '100', '300')];
    expect(accountIndicators(bills, AS_OF)).toMatchObject({ balance: '0.00', inArrears: false });
  });

  it('a partial catch-up leaves the rest owed', () => {
    // due 300, paid 250: 50 owed
    const bills = [bill('A', '2024-04', '1', '100', '0'), bill('A', '2024-05', '1', '100', '0'), bill('A', '2024-06', '1', '100', '250')];
    expect(accountIndicators(bills, AS_OF)).toMatchObject({ balance: '50.00', inArrears: true });
  });

  it('an overpayment is a credit that covers the next bill', () => {
    // due 100 + 100 = 200, paid 150 + 50 = 200
    const bills = [bill('A', '2024-05', '1', '100', '150'), bill('A', '2024-06', '1', '100', '50')];
    expect(accountIndicators(bills, AS_OF)).toMatchObject({ balance: '0.00', inArrears: false });
  });

  it('is computed in fen, so ten bills of 0.10 paid with 1.00 owe nothing', () => {
    const bills = [...Array.from({ length: 9 }, (_, i) => bill('A', `2024-0${i + 1}`, '1', '0.1', '0')), bill('A', '2023-12', '1', '0.1', '1')];
    expect(accountIndicators(bills, '2024-10-01')).toMatchObject({ balance: '0.00', inArrears: false });
  });

  it('a stale account that still owes is in arrears', () => {
    const bills = [bill('B', '2023-11', '100', '80', '0')];
    expect(accountIndicators(bills, AS_OF)).toMatchObject({ noRecentData: true, balance: '80.00', inArrears: true });
  });

  it('bills after the as-of month do not count', () => {
    const bills = [bill('A', '2024-06', '1', '100', '100'), bill('A', '2024-08', '1', '100', '0')];
    expect(accountIndicators(bills, AS_OF)).toMatchObject({ balance: '0.00', inArrears: false });
  });
});

describe('several accounts of one enterprise', () => {
  const bills = [
    // A: 3-month average 50 (05 missing), balance 0
    bill('A', '2024-04', '40'), bill('A', '2024-06', '60'),
    // C: 3-month average 5, balance 100 - 90 = 10
    bill('C', '2024-04', '5'), bill('C', '2024-05', '5'), bill('C', '2024-06', '5', '100', '90'),
    // B: stale, owes nothing
    bill('B', '2023-10', '100'),
  ];

  it('sums the account averages of the accounts with recent data, and names the stale ones', () => {
    const e = enterpriseIndicators(bills, AS_OF);
    expect(e.accounts.map((a) => a.accountNo)).toEqual(['A', 'B', 'C']);
    // 50 + 5 = 55; A's missing month makes the figure partial
    expect(e.avg3m).toEqual({ average: 55, accountsWithData: 2, status: 'partial', missing: [{ accountNo: 'A', months: ['2024-05'] }] });
    expect(e.staleAccounts).toEqual(['B']);
  });

  it('is in arrears when any account is, with the total owed over the accounts that owe', () => {
    const e = enterpriseIndicators([...bills, bill('D', '2024-06', '1', '100', '130')], AS_OF);
    // C owes 10; D's 30 credit does not pay C's bill
    expect(e).toMatchObject({ inArrears: true, arrearsTotal: '10.00' });
  });

  it('an enterprise whose accounts are all stale has no recent figure', () => {
    const e = enterpriseIndicators([bill('B', '2023-10', '100')], AS_OF);
    expect(e.avg3m).toMatchObject({ average: null, accountsWithData: 0, status: 'no_recent_data' });
    expect(e.inArrears).toBe(false);
  });
});

describe('provider-stated figures beside the computed ones', () => {
  const bills = [bill('A', '2024-04', '40'), bill('A', '2024-05', '50'), bill('A', '2024-06', '60', '100', '0')];
  // as of 2024-07-15: 3-month average (40 + 50 + 60) / 3 = 50, 6-month 50, in arrears (100 owed)

  it('agree when the provider rounds', () => {
    const c = compareStated(bills, { asOf: AS_OF, avg3m: '50.4', inArrears: true });
    expect(c).toEqual({ asOf: AS_OF, avg3m: { stated: 50.4, computed: 50, verdict: 'agrees' }, inArrears: { stated: true, computed: true, verdict: 'agrees' } });
  });

  it('disagree when the figures differ beyond rounding, or the arrears flag differs', () => {
    const c = compareStated(bills, { asOf: AS_OF, avg3m: '80', avg6m: '50', inArrears: false });
    expect(c.avg3m?.verdict).toBe('disagrees');
    expect(c.avg6m?.verdict).toBe('agrees');
    expect(c.inArrears?.verdict).toBe('disagrees');
  });

  it('are compared as of the day the provider stated them', () => {
    // stated on 2024-06-10: the window is 2024-03..05, billed 04 and 05: (40 + 50) / 2 = 45; June's bill not yet counted
    const c = compareStated(bills, { asOf: '2024-06-10', avg3m: '45', inArrears: false });
    expect(c.avg3m).toEqual({ stated: 45, computed: 45, verdict: 'agrees' });
    expect(c.inArrears).toEqual({ stated: false, computed: false, verdict: 'agrees' });
  });

  it('cannot be checked without bills in the window', () => {
    expect(compareStated([], { asOf: AS_OF, avg3m: '12' }).avg3m).toEqual({ stated: 12, computed: null, verdict: 'unverifiable' });
  });
});
