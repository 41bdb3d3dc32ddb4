// Each test file gets a database of its own on the real PostgreSQL, dropped afterwards, so runs
// never collide. TEST_DATABASE_URL / DATABASE_URL point at the server (default: localhost, trust auth).
import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabase } from '../../store/databases.ts';
import { openDb, type Db } from '../../store/db.ts';
import { migrateLatest } from '../../store/migrate.ts';

export const ADMIN_URL = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** The access log's key in tests, shared with CLI runs (test/helpers/cli.ts) so both verify one chain. */
export const TEST_AUDIT_KEY = 'a5'.repeat(32);

export interface TestDb {
  readonly db: Db;
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

export async function createTestDb(label = 'test'): Promise<TestDb> {
  const name = `credit_etl_${label}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(ADMIN_URL, name);
  const db = await openDb({ databaseUrl: url, dataDir: '', auditKeys: { key: TEST_AUDIT_KEY } });
  await migrateLatest(db.knex);
  return {
    db, url, name,
    drop: async () => {
      await db.close();
      await dropDatabase(ADMIN_URL, name);
    },
  };
}
