// Grants for the enterprises the per-enterprise stand-ins know, recorded in the real store the way
// an operator records a signed authorisation, leaving some enterprises out (and some expired or
// revoked) so that tests can show those are never called.
import { grantAuthorisation, revokeAuthorisation } from '../../store/authorisations.ts';
import type { Db } from '../../store/db.ts';
import { PER_ENTERPRISE, type ApiId } from './apis.ts';
import type { StandIns } from './stand-ins.ts';

export interface SeededAuthorisations {
  /** Enterprises with a grant in force, per API. */
  readonly inForce: Readonly<Record<ApiId, readonly string[]>>;
  /** Known to the provider but without a grant in force (none, expired, revoked), per API. */
  readonly notInForce: Readonly<Record<ApiId, readonly string[]>>;
}

const DAY = 86_400_000;

/** Every third customer of each per-enterprise provider has no grant in force: none, an expired one or a revoked one, in turn. */
export async function seedAuthorisations(db: Db, s: Pick<StandIns, 'enterprises'>, now = new Date()): Promise<SeededAuthorisations> {
  const at = (days: number) => new Date(now.getTime() + days * DAY).toISOString();
  const grant = (uscc: string, categories: ApiId[], expiresAt: string) => grantAuthorisation(db, {
    enterpriseUscc: uscc, categories, institution: null, grantedAt: at(-30), expiresAt,
    evidenceKind: '书面', evidenceRef: `授权书-${uscc}`, recordedBy: 'stand-ins',
  });
  const inForce = {} as Record<ApiId, string[]>;
  const notInForce = {} as Record<ApiId, string[]>;
  for (const api of PER_ENTERPRISE) {
    const customers = s.enterprises(api);
    inForce[api] = customers.filter((_, i) => i % 3 !== 2);
    notInForce[api] = customers.filter((_, i) => i % 3 === 2);
  }
  // One grant per enterprise for all the categories it is granted in, as one signed form covers them.
  const granted = new Map<string, ApiId[]>();
  for (const api of PER_ENTERPRISE) for (const uscc of inForce[api]) granted.set(uscc, [...(granted.get(uscc) ?? []), api]);
  for (const [uscc, categories] of granted) await grant(uscc, categories, at(365));
  // The withheld: in turn no grant, an expired one, a revoked one, each naming only the withheld category.
  for (const api of PER_ENTERPRISE) {
    for (const [k, uscc] of notInForce[api].entries()) {
      if (k % 3 === 1) await grant(uscc, [api], at(-1));
      if (k % 3 === 2) await revokeAuthorisation(db, (await grant(uscc, [api], at(365))).id, at(-1));
    }
  }
  return { inForce, notInForce };
}
