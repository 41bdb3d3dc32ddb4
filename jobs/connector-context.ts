// The ConnectorContext a runner hands a connector: the authorisation question answered from the
// store (grants to the platform in force at this moment, revoked and expired ones never count).
import type { Logger } from '../lib/logger.ts';
import { authorisedEnterprises } from '../store/authorisations.ts';
import type { Db } from '../store/db.ts';
import type { ConnectorContext } from '../connectors/types.ts';

export interface ContextOptions {
  readonly db: Db;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly now?: () => Date;
}

export function connectorContext(o: ContextOptions): ConnectorContext {
  const now = o.now ?? (() => new Date());
  return {
    log: o.log,
    signal: o.signal ?? new AbortController().signal,
    now,
    env: o.env,
    authorisedEnterprises: (category) => authorisedEnterprises(o.db, category, now().toISOString()),
  };
}
