// Grants, revocations and the one question everything else asks: is there an authorisation in force
// for this enterprise, category and recipient right now?
import { randomUUID } from 'node:crypto';
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
const TIMES = ['granted_at', 'expires_at', 'revoked_at', 'recorded_at'];

function select(db: Db) {
  return db.knex('enterprise_authorisations').select([...COLUMNS, ...TIMES.map((c) => db.knex.raw(ts(c)))]);
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

/** Which enterprises a statement asks about: `:uscc`, `:usccs` (a text[]) or all of them. */
export type EnterpriseChoice = 'one' | 'many' | 'all';

/**
 * The condition naming them. One enterprise is asked by equality, not as an array of one: on stale
 * statistics the planner leaves an array condition out of the index (store/authorisations.int.test.ts),
 * and an array of unknown length makes a prepared statement's generic plan look dearer than planning
 * it afresh, so PostgreSQL would plan it on every call (store/queries.int.test.ts).
 */
const ENTERPRISES: Readonly<Record<EnterpriseChoice, string>> = { one: 'enterprise_uscc = :uscc', many: 'enterprise_uscc = ANY(:usccs)', all: 'true' };

/** The choice and its binding for these enterprises (undefined: all). */
function enterprisesOf(enterprises: string | readonly string[] | undefined): { choice: EnterpriseChoice; bindings: { uscc?: string; usccs?: string[] } } {
  if (enterprises === undefined) return { choice: 'all', bindings: {} };
  const usccs = typeof enterprises === 'string' ? [enterprises] : enterprises;
  return usccs.length === 1 ? { choice: 'one', bindings: { uscc: usccs[0] } } : { choice: 'many', bindings: { usccs: [...usccs] } };
}

/**
 * The grants in force at `:at` (granted by then, not expired, never revoked) for the enterprises
 * chosen and one recipient: the institution `:institution_id`, or the platform's own collection.
 * Fixed text per choice, so that a prepared statement can hold it (store/queries.ts).
 */
export function grantsInForceSql(o: { recipient: 'institution' | 'platform'; enterprises: EnterpriseChoice }): string {
  return `SELECT ${COLUMNS.join(', ')}, ${TIMES.map((c) => ts(c)).join(', ')} FROM enterprise_authorisations
    WHERE ${ENTERPRISES[o.enterprises]} AND granted_at <= :at AND expires_at > :at AND revoked_at IS NULL
      AND ${o.recipient === 'platform' ? 'institution IS NULL' : 'institution_id = :institution_id'}`;
}

/**
 * Every grant in force at `at` for this enterprise (or these enterprises) and recipient (the
 * institution's registry id, or null for the platform's own collection), latest expiry first.
 */
export async function authorisationsInForce(db: Db, q: { enterpriseUscc: string | readonly string[]; institutionId: string | null; at: string }): Promise<Authorisation[]> {
  const { choice, bindings } = enterprisesOf(q.enterpriseUscc);
  const sql = grantsInForceSql({ recipient: q.institutionId === null ? 'platform' : 'institution', enterprises: choice });
  const r = await db.knex.raw(`${sql} ORDER BY expires_at DESC`, { at: q.at, ...bindings, ...(q.institutionId === null ? {} : { institution_id: q.institutionId }) });
  return r.rows;
}

/** The grant in force for one category (the one lasting longest), or undefined. */
export async function authorisationInForce(db: Db, q: { enterpriseUscc: string; category: CategoryId; institutionId: string | null; at: string }): Promise<Authorisation | undefined> {
  return (await authorisationsInForce(db, q)).find((g) => g.categories.includes(q.category));
}

/** Enterprises with a grant in force to the platform for a category: whom a per-enterprise connector may call. */
export async function authorisedEnterprises(db: Db, category: CategoryId, at: string): Promise<string[]> {
  const r = await db.knex.raw(`SELECT DISTINCT enterprise_uscc FROM (${grantsInForceSql({ recipient: 'platform', enterprises: 'all' })}) g
    WHERE :category = ANY(categories) ORDER BY enterprise_uscc`, { at, category });
  return r.rows.map((x: { enterprise_uscc: string }) => x.enterprise_uscc);
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

/**
 * The lapsed collections at `:at` of the enterprises chosen; only those whose last grant ended before
 * `:ended_before`, when `endedBefore` says so. Fixed text per choice, so that a prepared statement can
 * hold it (store/queries.ts).
 */
export function lapsedCollectionsSql(o: { enterprises: EnterpriseChoice; endedBefore: boolean }): string {
  return `WITH g AS (
      SELECT enterprise_uscc, unnest(categories) AS category, granted_at, LEAST(expires_at, COALESCE(revoked_at, expires_at)) AS ended
      FROM enterprise_authorisations WHERE institution IS NULL AND granted_at <= :at AND ${ENTERPRISES[o.enterprises]})
    SELECT enterprise_uscc, category, ${ts('since')}, ${ts('ended')} FROM (
      SELECT enterprise_uscc, category, min(granted_at) AS since, max(ended) AS ended FROM g
      GROUP BY enterprise_uscc, category
      HAVING bool_and(ended <= :at) ${o.endedBefore ? 'AND max(ended) < :ended_before' : ''}) x`;
}

export async function lapsedCollections(db: Db, q: { at: string; enterpriseUscc?: string | readonly string[]; endedBefore?: string }): Promise<LapsedCollection[]> {
  const { choice, bindings } = enterprisesOf(q.enterpriseUscc);
  const r = await db.knex.raw(`${lapsedCollectionsSql({ enterprises: choice, endedBefore: q.endedBefore !== undefined })} ORDER BY enterprise_uscc, category`,
    { at: q.at, ...bindings, ...(q.endedBefore ? { ended_before: q.endedBefore } : {}) });
  return r.rows;
}

/**
 * What the revocation rule withholds of one enterprise: per category, the start of its lapsed
 * collection (records loaded since then are withheld). Plain data, so that what a report or a stored
 * evaluation applied can be kept with it and applied again when it is rebuilt.
 */
export type Lapsed = Partial<Record<CategoryId, string>>;

/** Per enterprise, its lapsed collections at `at` (enterprises with none are absent). */
export async function lapsedByEnterprise(db: Db, usccs: readonly string[], at: string): Promise<Map<string, Lapsed>> {
  return usccs.length === 0 ? new Map() : lapsedOf(await lapsedCollections(db, { at, enterpriseUscc: usccs }));
}

/** Lapsed collections per enterprise. */
export function lapsedOf(collections: readonly LapsedCollection[]): Map<string, Lapsed> {
  const out = new Map<string, Lapsed>();
  for (const l of collections) {
    let m = out.get(l.enterprise_uscc);
    if (!m) out.set(l.enterprise_uscc, (m = {}));
    m[l.category] = l.since;
  }
  return out;
}

/** The revocation rule on one record version: collected under a lapsed collection, so served to no one. */
export function collectedUnderLapsed(lapsed: Lapsed, r: { readonly category: CategoryId; readonly loadedAt: string }): boolean {
  const since = lapsed[r.category];
  return since !== undefined && r.loadedAt >= since;
}

/** Both rules at once (the earlier start where both name a category): withholds whatever either withholds. */
export function unionLapsed(a: Lapsed, b: Lapsed): Lapsed {
  const out: Lapsed = { ...a };
  for (const [c, since] of Object.entries(b) as [CategoryId, string][]) if (out[c] === undefined || since < out[c]!) out[c] = since;
  return out;
}
