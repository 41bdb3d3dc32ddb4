// SQL fragments every read of the store shares.

/** A timestamptz column as an RFC 3339 UTC string (`2026-11-29T03:40:45.123Z`), the same from pg and PGlite. */
export function utcIso(column: string, { milliseconds = true } = {}): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS${milliseconds ? '.MS' : ''}"Z"') AS ${column}`;
}
