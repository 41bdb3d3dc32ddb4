// The outbox: a batch's risk events, written in the batch's own transaction (store/batch-load.ts calls
// captureEvents before its first merge and write after its last). What is an event is decided by the pure rules
// in alerts/classify.ts; this module only gathers the facts in SQL and stores the result.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import {
  classifiedFields, classifyArrears, classifyRecord, EVENT_ON_INSERT, withdrawalNeedsHold, type Classified,
} from '../alerts/classify.ts';
import { category, type CategoryId } from '../schemas/registry.ts';
import { fieldSql } from './payload.ts';

/** The records a merge inserted, changed or withdrew; a withdrawn one carries its last state (it is gone from credit_records). */
export const TOUCHED_DDL = `CREATE TEMP TABLE merge_touched (
  record_id bigint PRIMARY KEY, kind text NOT NULL, old_fields jsonb, version integer, subject_uscc text, event_date date
) ON COMMIT DROP`;

/** Share of a deliverer's records a full delivery may withdraw before its events are held for an operator. */
export const DEFAULT_WITHDRAW_SHARE = 0.2;

export interface EventBatch {
  readonly id: string;
  readonly category: CategoryId;
  readonly deliveredBy: string;
  readonly fullDelivery?: boolean;
  readonly withdrawShare?: number;
  readonly now?: () => Date;
}

export interface EventsWritten {
  readonly events: number;
  readonly backfill: boolean;
  readonly held: boolean;
}

const UTILITY = new Set<CategoryId>(['water', 'gas']);

/** Whether beforeChunk needs the enterprises a chunk names (the arrears rule is the utilities'). */
export const tracksArrears = (category: CategoryId): boolean => UTILITY.has(category);
/** Whether the outbox reads a category's insertions from merge_touched (or only its changes). */
export const readsInsertions = (category: CategoryId): boolean => EVENT_ON_INSERT.includes(category);
const PAGE = 5000;

type Arrears = Map<string, boolean>;
const accountKey = (uscc: string, account: string) => `${uscc}\u0000${account}`;

/** 当前是否欠费 of every account of these enterprises, from the category's indicator view (its rule is the view's). */
async function arrearsOf(trx: Knex.Transaction, category: CategoryId, usccs: readonly string[]): Promise<Arrears> {
  const m: Arrears = new Map();
  if (usccs.length === 0) return m;
  // A constant filter on the grouping column reaches inside the view, so only these enterprises' rows are read.
  const { rows } = await trx.raw(`SELECT subject_uscc, account_no, in_arrears FROM v_${category}_indicators WHERE subject_uscc = ANY(?::text[])`, [[...usccs]]);
  for (const r of rows) m.set(accountKey(r.subject_uscc, r.account_no), r.in_arrears === true);
  return m;
}

/**
 * Opened before the first merge of a batch: the temp table the merges report into, whether this is
 * the deliverer's first load of the category (backfill), and what the guard and the arrears rule
 * compare against. A batch merges a chunk at a time (store/batch-load.ts): before each, beforeChunk
 * takes the arrears of the enterprises the chunk names that no earlier chunk did, which no merge of
 * this batch has touched yet, so they are as they stood before the batch.
 */
export async function captureEvents(trx: Knex.Transaction, batch: EventBatch) {
  await trx.raw(TOUCHED_DDL);
  const { rows: [b] } = await trx.raw(`SELECT NOT EXISTS (SELECT 1 FROM batches WHERE category = ? AND delivered_by = ? AND status = 'loaded'
    AND id <> ? AND inserted > 0) AS backfill`, [batch.category, batch.deliveredBy, batch.id]);
  const recordsBefore = batch.fullDelivery
    ? Number((await trx.raw('SELECT count(*) AS n FROM credit_records WHERE category = ? AND delivered_by = ?', [batch.category, batch.deliveredBy])).rows[0].n)
    : 0;
  const utility = tracksArrears(batch.category);
  const usccs = new Set<string>();
  const arrearsBefore: Arrears = new Map();
  /** The arrears, as they stand now, of those of these enterprises not taken before. */
  const take = async (list: readonly string[]) => {
    const fresh = list.filter((u) => !usccs.has(u));
    for (const u of fresh) usccs.add(u);
    for (const [k, v] of await arrearsOf(trx, batch.category, fresh)) arrearsBefore.set(k, v);
  };
  // A full delivery can change every account of the deliverer (by withdrawing its bills).
  if (utility && batch.fullDelivery) {
    const { rows } = await trx.raw('SELECT DISTINCT subject_uscc FROM credit_records WHERE category = ? AND delivered_by = ? AND subject_uscc IS NOT NULL', [batch.category, batch.deliveredBy]);
    await take(rows.map((r: { subject_uscc: string }) => r.subject_uscc));
  }
  return {
    /** Given the enterprises the chunk's records name, before any of them is written. */
    beforeChunk: async (chunkUsccs: readonly string[]) => {
      if (utility) await take(chunkUsccs);
    },
    /** After the last merge (and withdrawal): classifies what changed and writes the events. */
    write: (withdrawn: number) => writeEvents(trx, batch, { backfill: b.backfill === true, recordsBefore, usccs: [...usccs], arrearsBefore, withdrawn }),
  };
}

export type BatchEvents = Awaited<ReturnType<typeof captureEvents>>;

interface Facts {
  readonly backfill: boolean;
  readonly recordsBefore: number;
  readonly usccs: readonly string[];
  readonly arrearsBefore: Arrears;
  readonly withdrawn: number;
}

interface EventRow {
  id: string; type: string; subject_uscc: string | null; category: string; record_id: number; record_version: number;
  batch_id: string; source_unit: string | null; source_line: number | null; occurred_on: string | null;
  detected_at: string; severity: string; backfill: boolean; held: boolean; detail: Record<string, unknown>;
}

async function writeEvents(trx: Knex.Transaction, batch: EventBatch, facts: Facts): Promise<EventsWritten> {
  const now = (batch.now ?? (() => new Date()))();
  const today = now.toISOString().slice(0, 10);
  const held = Boolean(batch.fullDelivery) && withdrawalNeedsHold(facts.withdrawn, facts.recordsBefore, batch.withdrawShare ?? DEFAULT_WITHDRAW_SHARE);
  // Written a page at a time, so a batch of a million new penalties holds a page of events, not a million.
  let pending: EventRow[] = [];
  let written = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    await trx.raw(`INSERT INTO credit_events (id, type, subject_uscc, category, record_id, record_version, batch_id, source_unit, source_line,
        occurred_on, detected_at, severity, backfill, held, detail)
      SELECT id, type, subject_uscc, category, record_id, record_version, batch_id, source_unit, source_line, occurred_on, detected_at, severity, backfill, held, detail
      FROM jsonb_to_recordset(?::jsonb) AS x(id uuid, type text, subject_uscc text, category text, record_id bigint, record_version int, batch_id uuid,
        source_unit text, source_line int, occurred_on date, detected_at timestamptz, severity text, backfill boolean, held boolean, detail jsonb)`,
    [JSON.stringify(pending)]);
    written += pending.length;
    pending = [];
  };
  const push = async (c: Classified, r: Omit<EventRow, 'id' | 'type' | 'severity' | 'batch_id' | 'category' | 'detected_at' | 'backfill' | 'held'>) => {
    pending.push({ id: randomUUID(), type: c.type, severity: c.severity, batch_id: batch.id, category: batch.category, detected_at: now.toISOString(), backfill: facts.backfill, held, ...r });
    if (pending.length >= PAGE) await flush();
  };

  const spec = category(batch.category);
  const keys = classifiedFields().filter((k) => spec.field.has(k));
  const pick = (col: string) => `jsonb_build_object(${keys.map((k) => `'${k}', ${fieldSql(batch.category, k, `(${col})`, 'json')}`).join(', ')})`;
  // Only rows a rule can turn into an event leave the database, and only the fields the rules read,
  // a page at a time in record order.
  for (let after = 0; ;) {
    const { rows } = await trx.raw(`SELECT t.kind, t.record_id, COALESCE(r.version, t.version) AS version, COALESCE(r.subject_uscc, t.subject_uscc) AS subject_uscc,
        to_char(COALESCE(r.event_date, t.event_date), 'YYYY-MM-DD') AS event_date, ${pick('COALESCE(r.fields, t.old_fields)')} AS fields,
        CASE WHEN t.kind = 'updated' THEN ${pick('t.old_fields')} END AS old_fields, r.source_unit, r.source_line
      FROM merge_touched t LEFT JOIN credit_records r ON r.id = t.record_id AND t.kind <> 'withdrawn'
      WHERE t.record_id > ? AND (t.kind <> 'inserted' OR ? = ANY(?::text[])) ORDER BY t.record_id LIMIT ?`, [after, batch.category, [...EVENT_ON_INSERT], PAGE]);
    for (const r of rows) {
      const c = classifyRecord({ kind: r.kind, category: batch.category, fields: r.fields, oldFields: r.old_fields ?? undefined }, today);
      if (!c) continue;
      await push(c, {
        subject_uscc: r.subject_uscc, record_id: Number(r.record_id), record_version: r.version, occurred_on: r.event_date,
        // a withdrawal is the delivering batch's doing, not a line of it
        source_unit: r.kind === 'withdrawn' ? batch.deliveredBy : r.source_unit, source_line: r.kind === 'withdrawn' ? null : r.source_line, detail: {},
      });
    }
    if (rows.length < PAGE) break;
    after = Number(rows[rows.length - 1].record_id);
  }

  if (UTILITY.has(batch.category)) {
    const after = await arrearsOf(trx, batch.category, facts.usccs);
    const changed: { uscc: string; account: string; c: Classified }[] = [];
    for (const k of new Set([...facts.arrearsBefore.keys(), ...after.keys()])) {
      const c = classifyArrears(facts.arrearsBefore.get(k) ?? null, after.get(k) ?? null);
      if (c) {
        const [uscc, account] = k.split('\u0000');
        changed.push({ uscc, account, c });
      }
    }
    if (changed.length > 0) {
      // The event points at the account's latest bill, the record that shows the balance.
      const account = fieldSql(batch.category, 'account_no');
      const month = fieldSql(batch.category, 'billing_month');
      const { rows: latest } = await trx.raw(`SELECT DISTINCT ON (subject_uscc, ${account}) id, version, subject_uscc, ${account} AS account_no,
          ${month} AS billing_month, source_unit, source_line, batch_id
        FROM credit_records WHERE category = ? AND subject_uscc = ANY(?::text[])
        ORDER BY subject_uscc, ${account}, ${month} DESC`, [batch.category, [...new Set(changed.map((x) => x.uscc))]]);
      const byAccount = new Map(latest.map((l: any) => [accountKey(l.subject_uscc, l.account_no), l]));
      for (const x of changed) {
        const l: any = byAccount.get(accountKey(x.uscc, x.account));
        if (!l) continue; // every bill of the account was withdrawn: nothing to point at
        await push(x.c, {
          subject_uscc: x.uscc, record_id: Number(l.id), record_version: l.version, occurred_on: null,
          source_unit: l.batch_id === batch.id ? l.source_unit : batch.deliveredBy, source_line: l.batch_id === batch.id ? l.source_line : null,
          detail: { accountNo: x.account, billingMonth: l.billing_month },
        });
      }
    }
  }

  await flush();
  if (held) {
    await trx('alert_holds').insert({
      batch_id: batch.id, category: batch.category, delivered_by: batch.deliveredBy, withdrawn: facts.withdrawn,
      records_before: facts.recordsBefore, events: written, held_at: now.toISOString(),
    });
  }
  return { events: written, backfill: facts.backfill, held };
}
