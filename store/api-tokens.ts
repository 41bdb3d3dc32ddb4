// API tokens: created once (the plain token is shown to its holder and never stored), looked up by
// hash on every request, revoked by id.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from './db.ts';
import { prepared, utcIso as ts } from './sql.ts';

export const ROLES = ['provider', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiToken {
  id: string;
  role: Role;
  unit: string;
  label: string | null;
  /** An analyst's institution in the registry (store/institutions.ts); unit holds its name. */
  institution_id: string | null;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

const TOKEN_PREFIX = 'cetl_';
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

function select(db: Db) {
  return db.knex('api_tokens').select(['id', 'role', 'unit', 'label', 'institution_id', 'created_by', ...['created_at', 'revoked_at'].map((c) => db.knex.raw(ts(c)))]);
}

export async function createApiToken(db: Db, t: { role: Role; unit: string; label?: string; createdBy: string; institutionId?: string }): Promise<{ token: string; record: ApiToken }> {
  const id = randomUUID();
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  await db.knex('api_tokens').insert({ id, token_hash: hashToken(token), role: t.role, unit: t.unit, label: t.label ?? null, institution_id: t.institutionId ?? null, created_by: t.createdBy });
  return { token, record: (await select(db).where({ id }).first()) as ApiToken };
}

/** The live token a request presented, or undefined (unknown, malformed or revoked: the caller cannot tell which). */
export async function findApiToken(db: Db, token: string): Promise<ApiToken | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  return (await prepared(db, 'credit-etl.api-token', select(db).where({ token_hash: hashToken(token) }).whereNull('revoked_at').first())) as ApiToken | undefined;
}

export async function listApiTokens(db: Db): Promise<ApiToken[]> {
  return (await select(db).orderBy('created_at', 'desc')) as ApiToken[];
}

/** Revokes a token; revoking twice keeps the first time. Returns false for an unknown id. */
export async function revokeApiToken(db: Db, id: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
  return (await db.knex('api_tokens').where({ id }).update({ revoked_at: db.knex.raw('COALESCE(revoked_at, now())') })) > 0;
}
