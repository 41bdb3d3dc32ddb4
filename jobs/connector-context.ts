// The ConnectorContext a runner hands a connector: the authorisation question answered from the
// store (grants to the platform in force at this moment, revoked and expired ones never count).
import type { ConnectorContext } from '../connectors/types.ts';
import type { Logger } from '../lib/logger.ts';
import type { CategoryId } from '../schemas/registry.ts';
import { authorisedEnterprises } from '../store/authorisations.ts';
import type { Db } from '../store/db.ts';

export interface ContextOptions {
  readonly db: Db;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly now?: () => Date;
  /** Is the runner holding a batch's transaction open right now? (runSource; default never) */
  readonly batchOpen?: () => boolean;
  /** Where a connector's per-key refusals go (runSource keeps them against the run). */
  readonly skipped?: ConnectorContext['skipped'];
}

export function connectorContext(o: ContextOptions): ConnectorContext {
  const now = o.now ?? (() => new Date());
  // A single-connection store (embedded PGlite) is held by an open batch until it commits, so while a
  // batch is open there a connector gets the grants as they stood when it last asked outside one (at
  // the latest, the previous checkpoint). PostgreSQL answers live, so a revocation counts at once.
  const lastAnswer = new Map<CategoryId, readonly string[]>();
  return {
    log: o.log,
    signal: o.signal ?? new AbortController().signal,
    now,
    env: o.env,
    skipped: o.skipped,
    authorisedEnterprises: async (category) => {
      if (o.db.oneConnection && o.batchOpen?.()) return lastAnswer.get(category) ?? [];
      const list = await authorisedEnterprises(o.db, category, now().toISOString());
      lastAnswer.set(category, list);
      return list;
    },
  };
}
