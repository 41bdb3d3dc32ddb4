// Which changes of the store are risk events for a lender, and how grave: pure rules over what the
// merge saw (a record new, changed or withdrawn, its fields before and after; an account's 当前是否欠费
// before and after). store/events.ts gathers the facts inside the batch transaction and writes what
// these rules return; the clock-driven events (licence.expiring, publicity.ended) use the windows here.
import { isGatedCategory, pastPublicity, publicityEndFields } from '../schemas/sensitivity.ts';
import { category as categorySpec, type CategoryId } from '../schemas/registry.ts';

export const EVENT_TYPES = [
  'penalty.created', 'enforcement.created', 'record.updated', 'record.withdrawn', 'arrears.started', 'arrears.cleared',
  'licence.revoked', 'licence.expiring', 'publicity.ended',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export type Severity = 'high' | 'medium' | 'low';

export const isEventType = (s: string): s is EventType => (EVENT_TYPES as readonly string[]).includes(s);

/** A record the merge inserted, changed or (in a full delivery) withdrew. */
export interface TouchedRecord {
  readonly kind: 'inserted' | 'updated' | 'withdrawn';
  readonly category: CategoryId;
  /** the record's fields as stored now; for a withdrawn record, as they were */
  readonly fields: Readonly<Record<string, unknown>>;
  /** an updated record's fields before the update */
  readonly oldFields?: Readonly<Record<string, unknown>>;
}

export interface Classified {
  readonly type: EventType;
  readonly severity: Severity;
}

/** 行政许可状态 codes (code list licence_status) that take a licence away from its holder. */
const REVOKED = new Set(['撤销', '吊销', '撤回']);
const revoked = (f: Readonly<Record<string, unknown>> | undefined) => typeof f?.status === 'string' && REVOKED.has(f.status);

/** Categories where a new record alone can be an event; elsewhere only a change or withdrawal is. */
export const EVENT_ON_INSERT: readonly CategoryId[] = ['penalty', 'enforcement', 'licensing'];

/** The only fields the rules read: the store hands over these, not whole records. */
export const classifiedFields = (): readonly string[] => ['status', publicityEndFields().get('penalty')!];

/**
 * The event of one touched record, or undefined when the change is not a risk signal: a new licence,
 * a new utility bill or R&D record (arrears are judged per account, see classifyArrears). A penalty
 * past its 公示截止期 is no longer published, so it raises nothing (`today` is YYYY-MM-DD).
 */
export function classifyRecord(t: TouchedRecord, today: string): Classified | undefined {
  if (t.category === 'penalty' && pastPublicity('penalty', t.fields, today)) return undefined;
  if (t.kind === 'withdrawn') return { type: 'record.withdrawn', severity: t.category === 'licensing' ? 'medium' : 'low' };
  switch (t.category) {
    case 'penalty':
      return t.kind === 'inserted' ? { type: 'penalty.created', severity: 'high' } : { type: 'record.updated', severity: 'medium' };
    case 'enforcement':
      return t.kind === 'inserted' ? { type: 'enforcement.created', severity: 'high' } : { type: 'record.updated', severity: 'medium' };
    case 'licensing':
      if (revoked(t.fields) && (t.kind === 'inserted' || !revoked(t.oldFields))) return { type: 'licence.revoked', severity: 'high' };
      return t.kind === 'updated' ? { type: 'record.updated', severity: 'low' } : undefined;
    case 'agri': case 'rnd':
      return t.kind === 'updated' ? { type: 'record.updated', severity: 'low' } : undefined;
    default:
      return undefined; // water, gas: per account, below
  }
}

/**
 * 当前是否欠费 of one account before and after the batch (null: the account was not on record).
 * Only a change is an event; an account that first appears already in arrears has started arrears.
 */
export function classifyArrears(before: boolean | null, after: boolean | null): Classified | undefined {
  if (after === true && before !== true) return { type: 'arrears.started', severity: 'high' };
  if (after === false && before === true) return { type: 'arrears.cleared', severity: 'low' };
  return undefined;
}

/** Categories whose events reach an institution only under the enterprise's authorisation to it. */
export const isGatedEventCategory = (c: CategoryId) => isGatedCategory(categorySpec(c));

/**
 * The mass-withdrawal guard: a full delivery withdrawing more than `maxShare` of the records its
 * deliverer had in the category is more likely a truncated extract than a wave of revocations.
 */
export function withdrawalNeedsHold(withdrawn: number, recordsBefore: number, maxShare: number): boolean {
  return withdrawn > 0 && recordsBefore > 0 && withdrawn / recordsBefore > maxShare;
}

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** licence.expiring fires for a valid licence whose 有效期至 falls within [today, today + days]; 长期 (2099-12-31) never expires. */
export function expiringWindow(today: string, days: number): { readonly from: string; readonly to: string } {
  return { from: today, to: addDays(today, days) };
}

/** 有效期至 of a licence without end (长期). */
export const LONG_TERM = '2099-12-31';
