// Admin operations, each recorded in the access log in the same step, shared by the HTTP routes and
// the CLI so both leave the same trail.
import { userInfo } from 'node:os';
import { grantEnd, grantStart } from '../lib/days.ts';
import { findProviderUnit, type CategoryId } from '../schemas/registry.ts';
import { createApiToken, listApiTokens, revokeApiToken, type Role } from '../store/api-tokens.ts';
import { appendAccess, type AccessActor } from '../store/access-log.ts';
import { findInstitution, institutionKey, registerInstitution } from '../store/institutions.ts';
import { getAuthorisation, grantAuthorisation, listAuthorisations, revokeAuthorisation, type EvidenceKind } from '../store/authorisations.ts';
import type { Db } from '../store/db.ts';
import { purgeLapsedCollections } from '../store/lapsed-purge.ts';
import { deleteBatch } from '../store/provider-batches.ts';
import { Errors } from './errors.ts';

export interface OperationContext {
  readonly actor: AccessActor;
  readonly requestId: string | null;
  readonly now: Date;
}

const log = (db: Db, ctx: OperationContext, action: string, enterprises: string[], detail: Record<string, unknown>) =>
  appendAccess(db, { at: ctx.now.toISOString(), requestId: ctx.requestId, actor: ctx.actor, action, enterprises, detail });

export async function createToken(db: Db, ctx: OperationContext, input: { role: Role; unit: string; label?: string }) {
  let unit = input.unit.trim();
  if (input.role === 'provider') {
    const u = findProviderUnit(unit);
    if (!u) throw Errors.unknownProvider(unit);
    unit = u.id;
  }
  if (!unit) throw Errors.badRequest('单位不能为空', 'unit must not be empty');
  // An analyst's token is bound to a registered institution, by id.
  const institution = input.role === 'analyst' ? await findInstitution(db, unit) : undefined;
  if (input.role === 'analyst' && !institution) throw Errors.unknownInstitution(unit);
  if (institution) unit = institution.name;
  const created = await createApiToken(db, { role: input.role, unit, label: input.label, createdBy: ctx.actor.unit, institutionId: institution?.id });
  await log(db, ctx, 'token.create', [], { tokenId: created.record.id, role: input.role, unit });
  return created;
}

export async function revokeToken(db: Db, ctx: OperationContext, id: string) {
  if (!(await revokeApiToken(db, id))) throw Errors.notFound('token', '令牌');
  await log(db, ctx, 'token.revoke', [], { tokenId: id });
}

/** Registers a lending institution (or finds it under its normalised name); logged when it is new. */
export async function addInstitution(db: Db, ctx: OperationContext, name: string) {
  if (!institutionKey(name)) throw Errors.badRequest('金融机构名称不能为空', 'the institution needs a name');
  const { institution, created } = await registerInstitution(db, name);
  if (created) await log(db, ctx, 'institution.register', [], { institutionId: institution.id, name: institution.name });
  return { institution, created };
}

/** Who holds which token: an admin read, logged like the changes. */
export async function listTokens(db: Db, ctx: OperationContext) {
  const rows = await listApiTokens(db);
  await log(db, ctx, 'token.list', [], { returned: rows.length });
  return rows;
}

/** The authorisation registry (one enterprise's or all): an admin read of who may see what, logged. */
export async function listGrants(db: Db, ctx: OperationContext, enterpriseUscc?: string) {
  const rows = await listAuthorisations(db, enterpriseUscc);
  await log(db, ctx, 'authorisation.list', enterpriseUscc ? [enterpriseUscc] : [], { returned: rows.length, enterprise: enterpriseUscc ?? null });
  return rows;
}

export interface GrantRequest {
  readonly enterpriseUscc: string;
  readonly categories: readonly CategoryId[];
  /** The institution's registry id or registered name; null for the platform itself. */
  readonly institution: string | null;
  readonly grantedAt: string;
  readonly expiresAt: string;
  readonly evidenceKind: EvidenceKind;
  readonly evidenceRef?: string;
}

/** Dates without a time are whole days in Beijing: from the start of the first to the end of the last (lib/days.ts). */
export async function grant(db: Db, ctx: OperationContext, g: GrantRequest) {
  const grantedAt = grantStart(g.grantedAt);
  const expiresAt = grantEnd(g.expiresAt);
  if (!(Date.parse(expiresAt) > Date.parse(grantedAt))) throw Errors.badRequest('授权到期时间须晚于授权时间', 'expiresAt must be after grantedAt');
  const institution = g.institution === null ? null : await findInstitution(db, g.institution);
  if (institution === undefined) throw Errors.unknownInstitution(g.institution!);
  const a = await grantAuthorisation(db, { ...g, institution, grantedAt, expiresAt, enterpriseUscc: g.enterpriseUscc.toUpperCase(), recordedBy: ctx.actor.unit });
  await log(db, ctx, 'authorisation.grant', [a.enterprise_uscc], { authorisationId: a.id, categories: a.categories, institution: a.institution, institutionId: a.institution_id, expiresAt: a.expires_at });
  return a;
}

export async function revoke(db: Db, ctx: OperationContext, id: string) {
  if (!(await revokeAuthorisation(db, id, ctx.now.toISOString()))) throw Errors.notFound('authorisation', '授权');
  const a = (await getAuthorisation(db, id))!;
  await log(db, ctx, 'authorisation.revoke', [a.enterprise_uscc], { authorisationId: id, revokedAt: a.revoked_at });
  return a;
}

export async function removeBatch(db: Db, ctx: OperationContext, id: string) {
  const out = await deleteBatch(db, id);
  if (out.kind === 'not-found') throw Errors.notFound('batch', '批次');
  if (out.kind === 'has-records') throw Errors.batchHasRecords();
  await log(db, ctx, 'batch.delete', [], { batchId: id, status: out.batch.status, deliveredBy: out.batch.delivered_by, fileName: out.batch.file_name });
}

/**
 * Purges the records collected under platform authorisations that ended more than `retentionDays`
 * ago (none in force since), and logs what went: one entry naming every enterprise and count.
 */
export async function purgeLapsed(db: Db, ctx: OperationContext, retentionDays: number) {
  const purged = await purgeLapsedCollections(db, { at: ctx.now, retentionDays });
  if (purged.length) {
    await log(db, ctx, 'records.purge', [...new Set(purged.map((p) => p.enterprise_uscc))], {
      retentionDays, purged: purged.map((p) => ({ uscc: p.enterprise_uscc, category: p.category, records: p.records, versions: p.versions, authorisationEnded: p.ended })),
    });
  }
  return purged;
}

/** Operations run from the command line are recorded as the operating-system user's, as admin. */
export function commandLineActor(): AccessActor {
  return { role: 'admin', unit: `cli:${userInfo().username}`, tokenId: null };
}
