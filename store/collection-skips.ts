// Enterprises a per-enterprise source skipped in a run (the provider refused that enterprise's request).
import type { Db } from './db.ts';
import { utcIso } from './sql.ts';

export interface CollectionSkip {
  readonly sourceId: string;
  /** The enterprise (USCC) the request was for. */
  readonly key: string;
  readonly code: string;
  readonly message: string;
}

export async function recordSkips(db: Db, runId: string, skips: readonly CollectionSkip[]): Promise<void> {
  if (!skips.length) return;
  await db.knex('collection_skips').insert(skips.map((s) => ({ run_id: runId, source_id: s.sourceId, key: s.key, code: s.code, message: s.message })));
}

export async function runSkips(db: Db, runId: string): Promise<(CollectionSkip & { at: string })[]> {
  const rows = await db.knex('collection_skips').select('source_id', 'key', 'code', 'message', db.knex.raw(utcIso('at'))).where({ run_id: runId }).orderBy('id');
  return rows.map((r: any) => ({ sourceId: r.source_id, key: r.key, code: r.code, message: r.message, at: r.at }));
}
