// SQL fragments every read of the store shares.
import type { Knex } from 'knex';
import type { Db } from './db.ts';

/** A timestamptz column as an RFC 3339 UTC string (`2026-11-29T03:40:45.123Z`), the same from pg and PGlite. */
export function utcIso(column: string, { milliseconds = true } = {}): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS${milliseconds ? '.MS' : ''}"Z"') AS ${column}`;
}

/**
 * A statement of fixed text that runs on every request, as a named prepared statement where the store
 * is PostgreSQL: each connection parses and plans it once instead of on every call. The text under a
 * name must never change (node-postgres refuses a name reused for other text).
 */
export function prepared<T extends Knex.Raw | Knex.QueryBuilder>(db: Db, name: string, query: T): T {
  return db.kind === 'pg' ? (query.options({ name }) as T) : query;
}
