// Purges what the platform collected under its authorisations once the last of them ended longer ago
// than the retention period (store/authorisations.ts lapsedCollections has the rule). The caller logs it.
import { lapsedCollections, type LapsedCollection } from './authorisations.ts';
import { lockCategoryWrites } from './batch-load.ts';
import type { Db } from './db.ts';

export interface PurgedCollection extends LapsedCollection {
  readonly records: number;
  readonly versions: number;
}

export async function purgeLapsedCollections(db: Db, o: { at: Date; retentionDays: number }): Promise<PurgedCollection[]> {
  const endedBefore = new Date(o.at.getTime() - o.retentionDays * 86_400_000).toISOString();
  const lapsed = await lapsedCollections(db, { at: o.at.toISOString(), endedBefore });
  const purged: PurgedCollection[] = [];
  for (const l of lapsed) {
    const { records, versions } = await db.knex.transaction(async (trx) => {
      await lockCategoryWrites(trx, l.category);
      const under = (t: string) => trx(t).where({ subject_uscc: l.enterprise_uscc, category: l.category }).where('loaded_at', '>=', l.since);
      const ids = (await under('credit_records').select('id')).map((r: { id: number }) => Number(r.id));
      const v = await trx('credit_record_versions').where((q) => {
        void q.whereIn('record_id', ids).orWhere((w) => void w.where({ subject_uscc: l.enterprise_uscc, category: l.category }).where('loaded_at', '>=', l.since));
      }).del();
      const r = await under('credit_records').del();
      return { records: r, versions: v };
    });
    if (records + versions > 0) purged.push({ ...l, records, versions });
  }
  return purged;
}
