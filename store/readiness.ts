// What "ready" means for the store: the database answers, and its schema is the one this code
// expects (no migration pending). /ready on the service and on each worker runs these.
import type { ReadinessCheck } from '../lib/ops-routes.ts';
import type { Db } from './db.ts';
import { pendingMigrations } from './migrate.ts';

export function storeReadiness(db: Db): Record<string, ReadinessCheck> {
  return {
    database: async () => {
      await db.knex.raw('select 1');
    },
    migrations: async () => {
      const pending = await pendingMigrations(db.knex);
      if (pending.length) throw new Error(`pending: ${pending.join(', ')} (run credit-etl migrate)`);
    },
  };
}
