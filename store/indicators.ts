// The water and gas indicators of one enterprise as the profile (API and CLI) shows them: computed from
// its stored monthly bills by the rule of lib/utility-indicators.ts, the provider-stated figures beside.
import {
  accountIndicators, compareStated, enterpriseIndicators, shanghaiToday, WINDOW_STATUS_ZH, type Bill, type StatedIndicators, type WindowFigure,
} from '../lib/utility-indicators.ts';
import type { ProfileRecord } from './queries.ts';

const withLabel = (w: WindowFigure) => ({ ...w, statusZh: WINDOW_STATUS_ZH[w.status] });

/**
 * 近3/6个月月均用量 and 当前是否欠费 of one enterprise's water or gas accounts, computed from the monthly
 * bills as of `asOf` (lib/utility-indicators.ts), with the provider's own figures for each account (its
 * latest row that states any, with that row's provenance) beside them and compared as of the day it
 * stated them.
 */
export type UtilityIndicators = ReturnType<typeof utilityIndicators>;

export function utilityIndicators(records: readonly ProfileRecord[], asOf: string) {
  const bills: Bill[] = [];
  const stated = new Map<string, ProfileRecord>();
  for (const r of records) {
    const f = r.fields as Record<string, string | boolean | undefined>;
    const accountNo = String(f.account_no);
    if (typeof f.billing_month === 'string') {
      bills.push({ accountNo, month: f.billing_month, usage: String(f.usage), amountDue: String(f.amount_due), amountPaid: String(f.amount_paid) });
    }
    if (f.avg_usage_3m !== undefined || f.avg_usage_6m !== undefined || f.in_arrears !== undefined) {
      const prev = stated.get(accountNo);
      if (!prev || r.received_at > prev.received_at) stated.set(accountNo, r);
    }
  }
  const accountNos = [...new Set([...bills.map((b) => b.accountNo), ...stated.keys()])].sort();
  const names = new Map(records.map((r) => [String(r.fields.account_no), r.fields.account_name as string | undefined]));
  const e = enterpriseIndicators(bills, asOf);
  return {
    asOf,
    enterprise: { avg3m: e.avg3m, avg6m: e.avg6m, staleAccounts: e.staleAccounts, inArrears: e.inArrears, arrearsTotal: e.arrearsTotal },
    accounts: accountNos.map((accountNo) => {
      const own = bills.filter((b) => b.accountNo === accountNo);
      const a = accountIndicators(own, asOf, accountNo);
      const s = stated.get(accountNo);
      const f = s?.fields as Record<string, string | boolean | undefined> | undefined;
      const claim: StatedIndicators | undefined = s && {
        asOf: shanghaiToday(new Date(s.received_at)),
        ...(typeof f!.avg_usage_3m === 'string' && { avg3m: f!.avg_usage_3m }),
        ...(typeof f!.avg_usage_6m === 'string' && { avg6m: f!.avg_usage_6m }),
        ...(typeof f!.in_arrears === 'boolean' && { inArrears: f!.in_arrears }),
      };
      const comparison = claim ? compareStated(own, claim) : null;
      return {
        ...a, accountName: names.get(accountNo) ?? null, avg3m: withLabel(a.avg3m), avg6m: withLabel(a.avg6m),
        stated: claim ? {
          ...claim,
          provenance: { sourceUnit: s!.source_unit, deliveredBy: s!.delivered_by, batchId: s!.batch_id, sourceLine: s!.source_line, receivedAt: s!.received_at },
        } : null,
        comparison,
        disagreement: comparison !== null && [comparison.avg3m, comparison.avg6m, comparison.inArrears].some((c) => c?.verdict === 'disagrees'),
      };
    }),
  };
}


/** Water and gas indicators of the records of one enterprise, as of today in Asia/Shanghai unless given. */
export function enterpriseUtilityIndicators(records: readonly ProfileRecord[], asOf = shanghaiToday()): Partial<Record<'water' | 'gas', UtilityIndicators>> {
  const out: Partial<Record<'water' | 'gas', UtilityIndicators>> = {};
  for (const c of ['water', 'gas'] as const) {
    const own = records.filter((r) => r.category === c);
    if (own.length) out[c] = utilityIndicators(own, asOf);
  }
  return out;
}
