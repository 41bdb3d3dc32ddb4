// Watchlists: which enterprises an institution follows, for which event types, over which period.
// Every call is scoped by the institution (its registry id, store/institutions.ts), so one institution never sees or changes another's watches.
import { randomUUID } from 'node:crypto';
import type { WatchInput } from '../alerts/watch-list.ts';
import type { Db } from './db.ts';
import { utcIso } from './sql.ts';

export interface Watch {
  id: string;
  institution_id: string;
  subject_uscc: string;
  event_types: string[];
  loan_ref: string | null;
  active_from: string | null;
  active_until: string | null;
  status: 'active' | 'paused';
  created_by: string;
  created_at: string;
  updated_at: string;
}

const select = (db: Db) => db.knex('watches').select('id', 'institution_id', 'subject_uscc', 'event_types', db.knex.raw("NULLIF(loan_ref, '') AS loan_ref"),
  'active_from', 'active_until', 'status', 'created_by', db.knex.raw(utcIso('created_at')), db.knex.raw(utcIso('updated_at')));

const row = (institutionId: string, w: WatchInput, createdBy: string) => ({
  id: randomUUID(), institution_id: institutionId, subject_uscc: w.subjectUscc, event_types: [...w.eventTypes], loan_ref: w.loanRef ?? '',
  active_from: w.activeFrom ?? null, active_until: w.activeUntil ?? null, status: 'active', created_by: createdBy,
});

/**
 * Adds watches, or updates the one already there for the same enterprise and loan (types, period;
 * it becomes active again). A list imported twice leaves the same watches. Returns them.
 */
export async function upsertWatches(db: Db, institutionId: string, watches: readonly WatchInput[], createdBy: string): Promise<Watch[]> {
  if (watches.length === 0) return [];
  const ids: string[] = [];
  await db.knex.transaction(async (trx) => {
    for (let i = 0; i < watches.length; i += 1000) {
      const rows = await trx('watches').insert(watches.slice(i, i + 1000).map((w) => row(institutionId, w, createdBy)))
        .onConflict(['institution_id', 'subject_uscc', 'loan_ref'])
        .merge({ event_types: trx.raw('EXCLUDED.event_types'), active_from: trx.raw('EXCLUDED.active_from'), active_until: trx.raw('EXCLUDED.active_until'),
          status: 'active', updated_at: trx.fn.now() })
        .returning('id');
      ids.push(...rows.map((r: { id: string }) => r.id));
    }
  });
  return (await select(db).whereIn('id', ids).orderBy('created_at')) as Watch[];
}

/** Pauses or resumes one of the institution's watches; undefined when it has none of that id. */
export async function setWatchStatus(db: Db, institutionId: string, id: string, status: Watch['status']): Promise<Watch | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const n = await db.knex('watches').where({ id, institution_id: institutionId }).update({ status, updated_at: db.knex.fn.now() });
  return n ? ((await select(db).where({ id }).first()) as Watch) : undefined;
}

export async function listWatches(db: Db, institutionId: string, q: { uscc?: string; limit?: number; offset?: number } = {}): Promise<Watch[]> {
  const rows = select(db).where({ institution_id: institutionId }).orderBy('subject_uscc').orderBy('loan_ref').limit(q.limit ?? 1000).offset(q.offset ?? 0);
  return (await (q.uscc ? rows.where({ subject_uscc: q.uscc }) : rows)) as Watch[];
}
