// A source never runs twice at once, whatever Redis says: after a stalled lock, a lost Redis or a
// reconciler's re-enqueue, two jobs for one source may both start, and the second must wait. On
// PostgreSQL the guard is a session advisory lock on a connection of its own, which the server
// releases when the holder dies (kill -9 included). The embedded store serves one process only
// (its folder lock), so a set in memory is enough there.
import type { Db } from './db.ts';

export type Release = () => Promise<void>;

const heldInProcess = new Set<string>();

/** Takes the source's lock, or returns null when another execution holds it. */
export async function tryLockSource(db: Db, sourceId: string): Promise<Release | null> {
  if (db.oneConnection) {
    if (heldInProcess.has(sourceId)) return null;
    heldInProcess.add(sourceId);
    return async () => void heldInProcess.delete(sourceId);
  }
  const client = (db.knex as any).client;
  const conn = await client.acquireRawConnection();
  // The lock lives as long as this connection; a broken one has released it already.
  conn.on('error', () => undefined);
  try {
    const { rows } = await conn.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [`credit-etl source ${sourceId}`]);
    if (rows[0].ok) return () => client.destroyRawConnection(conn);
  } catch (e) {
    await client.destroyRawConnection(conn).catch(() => undefined);
    throw e;
  }
  await client.destroyRawConnection(conn);
  return null;
}
