// Record search for analysts: filters on category, event date, deciding authority and the subject,
// one page at a time, newest first. Which categories may be searched and which records are past
// their publicity period are decided by the caller and passed in.
import type { Knex } from 'knex';
import type { CategoryId } from '../schemas/registry.ts';
import type { Db } from './db.ts';
import { anyCategoryFieldSql, fieldSql, fromPayload } from './payload.ts';
import { utcIso as ts } from './sql.ts';

export interface RecordSearch {
  /** The categories the caller may see; a search never returns others. */
  readonly categories: readonly CategoryId[];
  readonly from?: string;
  readonly to?: string;
  /** Part of the deciding authority's name, or its USCC. */
  readonly authority?: string;
  /** Part of the subject's name, or its USCC. */
  readonly q?: string;
  /** Leave out records whose date field (category -> field key) is before `publicityEndsBefore`. */
  readonly publicityEnd?: { readonly fields: ReadonlyMap<CategoryId, string>; readonly endsBefore: string };
  readonly page: number;
  readonly pageSize: number;
}

export interface SearchRow {
  id: number; category: CategoryId; natural_key: string; subject_uscc: string; subject_name: string; event_date: string | null;
  fields: Record<string, unknown>; version: number; source_unit: string; delivered_by: string; batch_id: string; source_line: number;
  received_at: string; loaded_at: string; schema_version: string;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function filtered(k: Knex, s: RecordSearch): Knex.QueryBuilder {
  const q = k('credit_records').whereIn('category', [...s.categories]);
  if (s.from) q.where('event_date', '>=', s.from);
  if (s.to) q.where('event_date', '<=', s.to);
  if (s.authority) {
    const a = s.authority.trim();
    q.where((w) => w.whereRaw(`${anyCategoryFieldSql(s.categories, 'authority_name')} ILIKE ?`, [`%${likeEscape(a)}%`])
      .orWhereRaw(`${anyCategoryFieldSql(s.categories, 'authority_uscc')} = ?`, [a.toUpperCase()]));
  }
  if (s.q) {
    const t = s.q.trim();
    q.where((w) => w.where('subject_name', 'ilike', `%${likeEscape(t)}%`).orWhere('subject_uscc', t.toUpperCase()));
  }
  if (s.publicityEnd) {
    for (const [category, key] of s.publicityEnd.fields) {
      q.whereRaw(`NOT (category = ? AND COALESCE(NULLIF(${fieldSql(category, key)}, '')::date < ?::date, false))`, [category, s.publicityEnd.endsBefore]);
    }
  }
  return q;
}

export async function searchRecords(db: Db, s: RecordSearch): Promise<{ total: number; rows: SearchRow[] }> {
  if (s.categories.length === 0) return { total: 0, rows: [] };
  const k = db.knex;
  const [[{ n }], rows] = await Promise.all([filtered(k, s).count({ n: '*' }), filtered(k, s)
    .select(['id', 'category', 'natural_key', 'subject_uscc', 'subject_name', k.raw('event_date::text AS event_date'), 'fields', 'version',
      'source_unit', 'delivered_by', 'batch_id', 'source_line', 'schema_version', k.raw(ts('received_at')), k.raw(ts('loaded_at'))])
    .orderByRaw('event_date DESC NULLS LAST, id')
    .limit(s.pageSize).offset((s.page - 1) * s.pageSize)]);
  return { total: Number(n), rows: rows.map((r: any) => ({ ...r, id: Number(r.id), fields: fromPayload(r.category, r.fields) })) };
}
