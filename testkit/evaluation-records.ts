// Record builders for the engine's and the report's tests: record versions as the store hands them
// to the engine, with the fields a clerk's file would carry after normalising.
import type { CategoryId } from '../schemas/registry.ts';
import type { EvalRecord } from '../evaluation/engine.ts';

let nextId = 1;

export function rec(category: CategoryId, fields: Record<string, unknown>, over: Partial<EvalRecord> = {}): EvalRecord {
  const id = over.id ?? nextId++;
  return {
    id, version: 1, category, naturalKey: `${category}-${id}`, batchId: '00000000-0000-4000-8000-000000000001',
    contentHash: `h${id}-${JSON.stringify(fields).length}`, fields, ...over,
  };
}

export const USCC = '91371326765330802K';

export const licence = (decisionDate: string, over: Record<string, unknown> = {}) => rec('licensing', {
  subject_uscc: USCC, decision_no: `许可${decisionDate}`, licence_kind: '普通', decision_date: decisionDate, valid_from: decisionDate, valid_to: '2099-12-31', status: '有效', ...over,
});

export const penalty = (decisionDate: string, publicityEnd: string, over: Record<string, unknown> = {}) => rec('penalty', {
  subject_uscc: USCC, decision_no: `罚${decisionDate}`, penalty_kinds: ['罚款'], decision_date: decisionDate, publicity_end: publicityEnd, ...over,
});

export const enforcement = (executedAt: string, method = '加处罚款或者滞纳金') => rec('enforcement', { subject_uscc: USCC, decision_no: `强${executedAt}`, method, executed_at: executedAt });

export const waterMonth = (month: string, due: string, paid: string) => rec('water', { subject_uscc: USCC, account_no: 'W1', billing_month: month, usage: '10', amount_due: due, amount_paid: paid });
export const gasMonth = (month: string, due: string, paid: string) => rec('gas', { subject_uscc: USCC, account_no: 'G1', billing_month: month, usage: '10', amount_due: due, amount_paid: paid });

export const highTech = (validTo = '2027-12-31') => rec('rnd', { subject_uscc: USCC, national_high_tech: true, high_tech_valid_to: validTo });
export const support = (date: string) => rec('rnd', { subject_uscc: USCC, national_high_tech: false, support_type: '政府资金支持', support_item: `项目${date}`, support_date: date });
export const agri = () => rec('agri', { subject_uscc: USCC, entity_type: '家庭农场', principal: '张三', location: '平邑县', business_scope: '种植' });

/** The twelve billing months up to and including `last` (YYYY-MM). */
export function months(last: string, n = 12): string[] {
  const [y, m] = last.split('-').map(Number);
  return Array.from({ length: n }, (_, i) => {
    const t = y * 12 + (m - 1) - i;
    return `${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`;
  }).reverse();
}
