// Who is calling: the API token in `Authorization: Bearer …` names a role and a unit. A route lists
// the roles it admits in its config; the check runs before any handler looks anything up, so the
// answer (401 or 403) never depends on whether the resource asked for exists. Failed authentication
// is counted per client address: past the limit, the address is refused (429) before any token is
// looked at, for the rest of the minute, and the block is written to the access log.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findProviderUnit, type ProviderUnit } from '../schemas/registry.ts';
import type { Role } from '../store/api-tokens.ts';
import type { TokenLookup } from '../store/token-cache.ts';
import { appendAccess, type AccessActor } from '../store/access-log.ts';
import type { Db } from '../store/db.ts';
import { metrics } from '../lib/metrics.ts';
import { Errors } from './errors.ts';

export interface Identity {
  readonly tokenId: string;
  readonly role: Role;
  readonly unit: string;
  /** For a provider token: the unit it delivers for. */
  readonly provider?: ProviderUnit;
  /** For an analyst token: the institution's registry id. */
  readonly institutionId?: string;
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

const WINDOW_MS = 60_000;

/** Failed authentications per client address in the current minute. */
export class AuthFailures {
  private readonly byAddress = new Map<string, { since: number; count: number }>();
  constructor(readonly perMinute: number, private readonly clock: () => number = Date.now) {}

  private current(address: string) {
    const now = this.clock();
    const f = this.byAddress.get(address);
    return f && now - f.since < WINDOW_MS ? f : undefined;
  }

  blocked(address: string): boolean {
    return (this.current(address)?.count ?? 0) >= this.perMinute;
  }

  /** Counts one failure; returns the count in this minute. */
  fail(address: string): number {
    const now = this.clock();
    // Addresses whose minute is over are forgotten, so a scan from many addresses cannot grow the map for ever.
    if (this.byAddress.size > 10_000) for (const [a, f] of this.byAddress) if (now - f.since >= WINDOW_MS) this.byAddress.delete(a);
    const f = this.current(address) ?? { since: now, count: 0 };
    f.count += 1;
    this.byAddress.set(address, f);
    return f.count;
  }
}

export function registerIdentity(app: FastifyInstance, db: Db, tokens: TokenLookup, failures: AuthFailures): void {
  app.decorateRequest('identity', undefined);
  const refuse = async (req: FastifyRequest, reason: 'missing' | 'unknown') => {
    metrics.authFailures.inc({ reason });
    const count = failures.fail(req.ip);
    req.log.warn({ ip: req.ip, failures: count, url: req.routeOptions.url }, 'authentication failed');
    if (count === failures.perMinute) {
      await appendAccess(db, {
        at: new Date().toISOString(), requestId: req.id, actor: { role: 'anonymous', unit: `ip:${req.ip}`, tokenId: null }, action: 'auth.blocked', enterprises: [],
        detail: { ip: req.ip, failures: count, windowSeconds: WINDOW_MS / 1000, method: req.method, route: req.routeOptions.url ?? null },
      });
    }
    return Errors.unauthenticated();
  };
  app.addHook('onRequest', async (req) => {
    const roles = req.routeOptions.config.roles;
    if (!roles) return;
    if (failures.blocked(req.ip)) throw Errors.authRateLimited();
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const token = m ? await tokens.find(m[1]) : undefined;
    if (!token) throw await refuse(req, m ? 'unknown' : 'missing');
    const provider = token.role === 'provider' ? findProviderUnit(token.unit) : undefined;
    // A provider token whose unit left the provider list can do nothing a provider does.
    if (token.role === 'provider' && !provider) throw await refuse(req, 'unknown');
    // An analyst token made before the registry whose name matched no registered institution reads nothing.
    if (token.role === 'analyst' && !token.institution_id) throw await refuse(req, 'unknown');
    req.identity = { tokenId: token.id, role: token.role, unit: token.unit, provider, institutionId: token.institution_id ?? undefined };
    if (!roles.includes(token.role)) {
      metrics.authFailures.inc({ reason: 'forbidden' });
      throw Errors.forbidden();
    }
  });
}
