// Grants, revocations and the one question everything else asks: is there an authorisation in force
// for this enterprise, category and recipient right now?
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { CategoryId } from '../schemas/registry.ts';
import type { Db } from './db.ts';
import { utcIso as ts } from './sql.ts';

export type EvidenceKind = '书面' | '线上';

export interface Authorisation {
  id: string;
  enterprise_uscc: string;
  categories: CategoryId[];
  /** The institution's name as registered; null for the platform's own collection. */
  institution: string | null;
  institution_id: string | null;
  granted_at: string;
  expires_at: string;
  revoked_at: string | null;
  evidence_kind: EvidenceKind;
  evidence_ref: string | null;
  recorded_by: string;
  recorded_at: string;
}

export interface GrantInput {
  enterpriseUscc: string;
  categories: readonly CategoryId[];
  /** the lending institution, as registered (store/institutions.ts); null for the platform's own collection */
  institution: { readonly id: string; readonly name: string } | null;
  grantedAt: string;
  expiresAt: string;
  evidenceKind: EvidenceKind;
  evidenceRef?: string;
  recordedBy: string;
}

const COLUMNS = ['id', 'enterprise_uscc', 'categories', 'institution', 'institution_id', 'evidence_kind', 'evidence_ref', 'recorded_by'];

function select(db: Db) {
  return db.knex('enterprise_authorisations').select([...COLUMNS, ...['granted_at', 'expires_at', 'revoked_at', 'recorded_at'].map((c) => db.knex.raw(ts(c)))]);
}

export async function grantAuthorisation(db: Db, g: GrantInput): Promise<Authorisation> {
  const id = randomUUID();
  await db.knex('enterprise_authorisations').insert({
    id, enterprise_uscc: g.enterpriseUscc, categories: [...g.categories], institution: g.institution?.name ?? null, institution_id: g.institution?.id ?? null,
    granted_at: g.grantedAt, expires_at: g.expiresAt, evidence_kind: g.evidenceKind, evidence_ref: g.evidenceRef ?? null, recorded_by: g.recordedBy,
  });
  return (await getAuthorisation(db, id))!;
}

export async function getAuthorisation(db: Db, id: string): Promise<Authorisation | undefined> {
  return (await select(db).where({ id }).first()) as Authorisation | undefined;
}

/** The grants of the query that are in force at `at`: granted by then, not expired, never revoked. */
const inForce = (q: Knex.QueryBuilder, at: string) => q.where('granted_at', '<=', at).where('expires_at', '>', at).whereNull('revoked_at');

/** Revokes a grant; revoking twice keeps the first revocation time. Returns false for an unknown id. */
export async function revokeAuthorisation(db: Db, id: string, at: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
  const n = await db.knex('enterprise_authorisations').where({ id }).update({ revoked_at: db.knex.raw('COALESCE(revoked_at, ?)', [at]) });
  return n > 0;
}

export async function listAuthorisations(db: Db, enterpriseUscc?: string): Promise<Authorisation[]> {
  const q = select(db).orderBy('recorded_at', 'desc');
  return (enterpriseUscc ? q.where({ enterprise_uscc: enterpriseUscc }) : q) as Promise<Authorisation[]>;
}

/**
 * Every grant in force at `at` for this enterprise (or these enterprises) and recipient (the
 * institution's registry id, or null for the platform's own collection), latest expiry first. Revoked
 * or expired grants never count.
 */
export async function authorisationsInForce(db: Db, q: { enterpriseUscc: string | readonly string[]; institutionId: string | null; at: string }): Promise<Authorisation[]> {
  const usccs = typeof q.enterpriseUscc === 'string' ? [q.enterpriseUscc] : [...q.enterpriseUscc];
  const rows = inForce(select(db).whereIn('enterprise_uscc', usccs), q.at).orderBy('expires_at', 'desc');
  return (await (q.institutionId === null ? rows.whereNull('institution') : rows.where({ institution_id: q.institutionId }))) as Authorisation[];
}

/** The grant in force for one category (the one lasting longest), or undefined. */
export async function authorisationInForce(db: Db, q: { enterpriseUscc: string; category: CategoryId; institutionId: string | null; at: string }): Promise<Authorisation | undefined> {
  return (await authorisationsInForce(db, q)).find((g) => g.categories.includes(q.category));
}

/** Enterprises with a grant in force to the platform for a category: whom a per-enterprise connector may call. */
export async function authorisedEnterprises(db: Db, category: CategoryId, at: string): Promise<string[]> {
  const rows = await inForce(db.knex('enterprise_authorisations').distinct('enterprise_uscc')
    .whereRaw('? = ANY(categories)', [category]).whereNull('institution'), at)
    .orderBy('enterprise_uscc');
  return rows.map((r: { enterprise_uscc: string }) => r.enterprise_uscc);
}

/**
 * An enterprise's category whose data the platform collected under its own authorisation (a grant
 * with institution null), none of which is in force any more: the records loaded since the first such
 * grant are no longer served, to anyone, until a new grant is in force, and are purged once the last
 * grant ended longer ago than the retention period. Records delivered before any such grant (a
 * provider's bulk delivery) were not collected under one and are not affected.
 */
export interface LapsedCollection {
  readonly enterprise_uscc: string;
  readonly category: CategoryId;
  /** When the first platform grant began: records loaded since were collected under the grants. */
  readonly since: string;
  /** When the last one ended (expired or revoked). */
  readonly ended: string;
}

export async function lapsedCollections(db: Db, q: { at: string; enterpriseUscc?: string; endedBefore?: string }): Promise<LapsedCollection[]> {
  const r = await db.knex.raw(`
    WITH g AS (
      SELECT enterprise_uscc, unnest(categories) AS category, granted_at, LEAST(expires_at, COALESCE(revoked_at, expires_at)) AS ended
      FROM enterprise_authorisations WHERE institution IS NULL AND granted_at <= :at ${q.enterpriseUscc ? 'AND enterprise_uscc = :uscc' : ''})
    SELECT enterprise_uscc, category, ${ts('since')}, ${ts('ended')} FROM (
      SELECT enterprise_uscc, category, min(granted_at) AS since, max(ended) AS ended FROM g
      GROUP BY enterprise_uscc, category
      HAVING bool_and(ended <= :at) ${q.endedBefore ? 'AND max(ended) < :endedBefore' : ''}) x
    ORDER BY enterprise_uscc, category`, { at: q.at, uscc: q.enterpriseUscc ?? null, endedBefore: q.endedBefore ?? null });
  return r.rows;
}
