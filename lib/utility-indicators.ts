// The water and gas indicators a lender reads (近3/6个月月均用量, 当前是否欠费), per account and per
// enterprise, from the monthly bills (缴纳水费明细 / 缴纳燃气费明细). Pure: the as-of date is an argument.
// The rule is stated in docs/data-contract.md ("Indicators"); store/views.ts computes the same in SQL.

export interface Bill {
  readonly accountNo: string;
  /** YYYY-MM */
  readonly month: string;
  /** canonical decimal strings, as the store holds them */
  readonly usage: string;
  readonly amountDue: string;
  readonly amountPaid: string;
}

export type WindowStatus = 'complete' | 'partial' | 'no_recent_data';
export const WINDOW_STATUS_ZH: Readonly<Record<WindowStatus, string>> = { complete: '完整', partial: '部分月份缺失', no_recent_data: '无近期数据' };

export interface WindowFigure {
  /** the calendar months of the window, oldest first */
  readonly months: readonly string[];
  readonly billedMonths: number;
  /** months of the window without a bill: reported, never averaged as zero */
  readonly missingMonths: readonly string[];
  /** average usage over the billed months of the window (3 decimals); null without any */
  readonly average: number | null;
  readonly status: WindowStatus;
}

export interface AccountIndicators {
  readonly accountNo: string;
  readonly latestMonth: string | null;
  readonly avg3m: WindowFigure;
  readonly avg6m: WindowFigure;
  /** no bill in the 6-month window */
  readonly noRecentData: boolean;
  /** amount due minus amount paid over every bill before the as-of month, in yuan (negative: credit) */
  readonly balance: string;
  readonly inArrears: boolean;
}

export interface EnterpriseWindow {
  /** sum of the account averages over the accounts with a bill in the window */
  readonly average: number | null;
  readonly accountsWithData: number;
  readonly status: WindowStatus;
  readonly missing: readonly { accountNo: string; months: readonly string[] }[];
}

export interface EnterpriseIndicators {
  readonly asOf: string;
  readonly accounts: readonly AccountIndicators[];
  readonly avg3m: EnterpriseWindow;
  readonly avg6m: EnterpriseWindow;
  readonly staleAccounts: readonly string[];
  readonly inArrears: boolean;
  /** what the accounts in arrears owe together; one account's credit does not pay another's bill */
  readonly arrearsTotal: string;
}

const SHANGHAI_OFFSET_MS = 8 * 3_600_000; // UTC+8, no daylight saving

/** Today's date (YYYY-MM-DD) in Asia/Shanghai. */
export function shanghaiToday(now: Date = new Date()): string {
  return new Date(now.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

const monthIndex = (ym: string) => Number(ym.slice(0, 4)) * 12 + Number(ym.slice(5, 7)) - 1;
const monthOf = (i: number) => `${String(Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}`;

/** The n full calendar months before the as-of date's month, oldest first. */
export function windowMonths(asOf: string, n: number): string[] {
  const current = monthIndex(asOf);
  return Array.from({ length: n }, (_, i) => monthOf(current - n + i));
}

// Decimal strings of at most 3 (usage) or 2 (amounts) places, summed as integers so no cent is lost.
const scaled = (s: string, places: number) => {
  const [int, frac = ''] = s.split('.');
  return Number(int) * 10 ** places + Number(frac.padEnd(places, '0').slice(0, places));
};
const fenToYuan = (fen: number) => `${fen < 0 ? '-' : ''}${Math.floor(Math.abs(fen) / 100)}.${String(Math.abs(fen) % 100).padStart(2, '0')}`;

function windowFigure(byMonth: ReadonlyMap<string, Bill>, months: readonly string[]): WindowFigure {
  const billed = months.filter((m) => byMonth.has(m));
  const milli = billed.reduce((sum, m) => sum + scaled(byMonth.get(m)!.usage, 3), 0);
  return {
    months, billedMonths: billed.length, missingMonths: months.filter((m) => !byMonth.has(m)),
    average: billed.length === 0 ? null : Math.round(milli / billed.length) / 1000,
    status: billed.length === 0 ? 'no_recent_data' : billed.length < months.length ? 'partial' : 'complete',
  };
}

/** The indicators of one account from its bills (one per month; other accounts' bills are ignored). */
export function accountIndicators(bills: readonly Bill[], asOf: string, accountNo = bills[0]?.accountNo ?? ''): AccountIndicators {
  const before = monthOf(monthIndex(asOf));
  const own = bills.filter((b) => b.accountNo === accountNo && b.month < before);
  const byMonth = new Map(own.map((b) => [b.month, b]));
  const avg6m = windowFigure(byMonth, windowMonths(asOf, 6));
  const fen = own.reduce((sum, b) => sum + scaled(b.amountDue, 2) - scaled(b.amountPaid, 2), 0);
  return {
    accountNo,
    latestMonth: own.reduce<string | null>((m, b) => (m === null || b.month > m ? b.month : m), null),
    avg3m: windowFigure(byMonth, windowMonths(asOf, 3)),
    avg6m,
    noRecentData: avg6m.billedMonths === 0,
    balance: fenToYuan(fen),
    inArrears: fen > 0,
  };
}

function enterpriseWindow(accounts: readonly AccountIndicators[], pick: (a: AccountIndicators) => WindowFigure): EnterpriseWindow {
  const withData = accounts.filter((a) => pick(a).billedMonths > 0);
  const missing = withData.filter((a) => pick(a).missingMonths.length > 0).map((a) => ({ accountNo: a.accountNo, months: pick(a).missingMonths }));
  return {
    average: withData.length === 0 ? null : Math.round(withData.reduce((s, a) => s + pick(a).average! * 1000, 0)) / 1000,
    accountsWithData: withData.length,
    status: withData.length === 0 ? 'no_recent_data' : missing.length > 0 ? 'partial' : 'complete',
    missing,
  };
}

/** Per account and summed over the enterprise's accounts. */
export function enterpriseIndicators(bills: readonly Bill[], asOf: string): EnterpriseIndicators {
  const accounts = [...new Set(bills.map((b) => b.accountNo))].sort().map((no) => accountIndicators(bills, asOf, no));
  const owed = accounts.filter((a) => a.inArrears).reduce((s, a) => s + scaled(a.balance, 2), 0);
  return {
    asOf, accounts,
    avg3m: enterpriseWindow(accounts, (a) => a.avg3m),
    avg6m: enterpriseWindow(accounts, (a) => a.avg6m),
    staleAccounts: accounts.filter((a) => a.noRecentData).map((a) => a.accountNo),
    inArrears: owed > 0,
    arrearsTotal: fenToYuan(owed),
  };
}

/** What a provider stated for one account (近3/6个月月均用量, 当前是否欠费) and the day it stated it. */
export interface StatedIndicators {
  readonly asOf: string;
  readonly avg3m?: string;
  readonly avg6m?: string;
  readonly inArrears?: boolean;
}

export type Verdict = 'agrees' | 'disagrees' | 'unverifiable';
export interface Compared<T> { readonly stated: T; readonly computed: T | null; readonly verdict: Verdict }
export interface StatedComparison {
  readonly asOf: string;
  readonly avg3m?: Compared<number>;
  readonly avg6m?: Compared<number>;
  readonly inArrears?: Compared<boolean>;
}

// Providers round their averages: a difference within half a unit or 1 % is rounding, not disagreement.
const agreesWith = (stated: number, computed: number) => Math.abs(stated - computed) <= Math.max(0.5, 0.01 * Math.abs(computed));

function compareAverage(stated: string, figure: WindowFigure): Compared<number> {
  const s = Number(stated);
  if (figure.average === null) return { stated: s, computed: null, verdict: 'unverifiable' };
  return { stated: s, computed: figure.average, verdict: agreesWith(s, figure.average) ? 'agrees' : 'disagrees' };
}

/** The provider's figures for one account against ours computed from its bills as of the day it stated them. */
export function compareStated(bills: readonly Bill[], stated: StatedIndicators): StatedComparison {
  const a = accountIndicators(bills, stated.asOf);
  return {
    asOf: stated.asOf,
    ...(stated.avg3m !== undefined && { avg3m: compareAverage(stated.avg3m, a.avg3m) }),
    ...(stated.avg6m !== undefined && { avg6m: compareAverage(stated.avg6m, a.avg6m) }),
    ...(stated.inArrears !== undefined && {
      inArrears: { stated: stated.inArrears, computed: a.inArrears, verdict: stated.inArrears === a.inArrears ? 'agrees' : 'disagrees' } as Compared<boolean>,
    }),
  };
}
