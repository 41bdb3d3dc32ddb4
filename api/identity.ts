// Who is calling: the API token in `Authorization: Bearer …` names a role and a unit. A route lists
// the roles it admits in its config; the check runs before any handler looks anything up, so the
// answer (401 or 403) never depends on whether the resource asked for exists.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findProviderUnit, type ProviderUnit } from '../schemas/registry.ts';
import { findApiToken, type Role } from '../store/api-tokens.ts';
import type { AccessActor } from '../store/access-log.ts';
import type { Db } from '../store/db.ts';
import { metrics } from '../lib/metrics.ts';
import { Errors } from './errors.ts';

export interface Identity {
  readonly tokenId: string;
  readonly role: Role;
  readonly unit: string;
  /** For a provider token: the unit it delivers for. */
  readonly provider?: ProviderUnit;
}

declare module 'fastify' {
  interface FastifyRequest {
    identity?: Identity;
  }
  interface FastifyContextConfig {
    /** Roles admitted to the route; a route without it is open (docs, the upload page's HTML). */
    roles?: readonly Role[];
  }
}

export const actorOf = (i: Identity): AccessActor => ({ role: i.role, unit: i.provider?.name ?? i.unit, tokenId: i.tokenId });

/** The identity of a request on a route that declared its roles (set by the hook below). */
export function identityOf(req: FastifyRequest): Identity {
  if (!req.identity) throw Errors.unauthenticated();
  return req.identity;
}

export function registerIdentity(app: FastifyInstance, db: Db): void {
  app.decorateRequest('identity', undefined);
  app.addHook('onRequest', async (req) => {
    const roles = req.routeOptions.config.roles;
    if (!roles) return;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const token = m ? await findApiToken(db, m[1]) : undefined;
    if (!token) {
      metrics.authFailures.inc({ reason: m ? 'unknown' : 'missing' });
      throw Errors.unauthenticated();
    }
    const provider = token.role === 'provider' ? findProviderUnit(token.unit) : undefined;
    // A provider token whose unit left the provider list can do nothing a provider does.
    if (token.role === 'provider' && !provider) {
      metrics.authFailures.inc({ reason: 'unknown' });
      throw Errors.unauthenticated();
    }
    req.identity = { tokenId: token.id, role: token.role, unit: token.unit, provider };
    if (!roles.includes(token.role)) {
      metrics.authFailures.inc({ reason: 'forbidden' });
      throw Errors.forbidden();
    }
  });
}
