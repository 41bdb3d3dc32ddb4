// The one door to enterprise data. Every read of it — the API's routes, the CLI's `profile` and
// `rejects`, reports and evaluations — goes through these functions: they apply the rules of
// api/access.ts for the reader's role and institution and append the access-log entry before the
// data is handed over. A caller builds a Reader for its door (apiReader, cliReader) and never reads
// credit_records or rejected_rows itself.
import { userInfo } from 'node:os';
import { category as categorySpec, findCategory, type CategoryId } from '../schemas/registry.ts';
import { isGatedCategory, publicCategories, publicityEndFields } from '../schemas/sensitivity.ts';
import { appendAccess, type AccessActor } from '../store/access-log.ts';
import type { Role } from '../store/api-tokens.ts';
import { authorisationsInForce } from '../store/authorisations.ts';
import type { Db } from '../store/db.ts';
import type { Institution } from '../store/institutions.ts';
import { rejectedRows, type BatchRow, type RejectStatus } from '../store/queries.ts';
import { searchRecords } from '../store/record-search.ts';
import { viewFields } from './access.ts';
import { Errors } from './errors.ts';
import { actorOf, type Identity } from './identity.ts';
import { enterpriseProfile, provenanceView } from './profile.ts';

export interface Reader {
  /** Who reads, as the access log names them. */
  readonly actor: AccessActor;
  readonly role: Role;
  /** The registry id of the institution whose authorisations the reader reads under; null for the platform's own staff. */
  readonly institutionId: string | null;
  readonly requestId: string | null;
  /** How the read came in, recorded with it: the API route, or the CLI command and the operating-system user. */
  readonly via: Readonly<Record<string, string>>;
}

/** A caller of the API: analysts read under their institution's authorisations, admins under the platform's. */
export function apiReader(who: Identity, req: { id: string; method: string; routeOptions: { url?: string } }): Reader {
  return {
    actor: actorOf(who), role: who.role, institutionId: who.role === 'analyst' ? who.institutionId ?? null : null, requestId: req.id,
    via: { door: 'api', route: `${req.method} ${req.routeOptions.url ?? ''}` },
  };
}

/**
 * An operator at the command line: platform staff (admin, reading under the platform's own
 * authorisations) unless they read as an analyst of an institution; logged with the OS user and the command.
 */
export function cliReader(command: string, opts: { institution?: Pick<Institution, 'id' | 'name'> } = {}): Reader {
  const osUser = userInfo().username;
  const institution = opts.institution;
  return {
    actor: { role: institution ? 'analyst' : 'admin', unit: institution ? `cli:${osUser}@${institution.name}` : `cli:${osUser}`, tokenId: null },
    role: institution ? 'analyst' : 'admin', institutionId: institution?.id ?? null, requestId: null,
    via: { door: 'cli', command, osUser },
  };
}

const mayRead = (r: Reader, roles: readonly Role[]) => {
  if (!roles.includes(r.role)) throw Errors.forbidden();
};

/** Only admins may ask for penalties past their 公示截止期. */
function pastPublicityAllowed(r: Reader, asked: boolean): boolean {
  if (asked && r.role !== 'admin') throw Errors.forbidden();
  return asked;
}

/**
 * One enterprise's profile as the reader may see it. Analysts are not told how many penalties past
 * their 公示截止期 were left out (that count would disclose them); the log keeps it.
 */
export async function readEnterprise(db: Db, r: Reader, uscc: string, o: { includePastPublicity?: boolean; now: Date; asOf?: string }) {
  mayRead(r, ['analyst', 'admin']);
  const include = pastPublicityAllowed(r, o.includePastPublicity ?? false);
  const code = uscc.trim().toUpperCase();
  const { body, access } = await enterpriseProfile(db, code, { institutionId: r.institutionId, includePastPublicity: include, now: o.now, asOf: o.asOf });
  await appendAccess(db, {
    at: o.now.toISOString(), requestId: r.requestId, actor: r.actor, action: 'enterprise.read', enterprises: [code],
    detail: { ...access, includePastPublicity: include, via: r.via },
  });
  const { pastPublicityHidden, ...rest } = body;
  return r.role === 'admin' ? body : rest;
}

export interface RecordQuery {
  readonly category?: string;
  readonly from?: string;
  readonly to?: string;
  readonly authority?: string;
  readonly q?: string;
  readonly page: number;
  readonly pageSize: number;
  readonly includePastPublicity?: boolean;
}

/** A page of records of the public categories, masked per enterprise and category as the reader's grants allow. */
export async function searchPublicRecords(db: Db, r: Reader, q: RecordQuery, now: Date) {
  mayRead(r, ['analyst', 'admin']);
  const include = pastPublicityAllowed(r, q.includePastPublicity ?? false);
  let cats: CategoryId[] = publicCategories();
  if (q.category) {
    const spec = findCategory(q.category);
    if (!spec) throw Errors.unknownCategory(q.category);
    if (isGatedCategory(spec)) throw Errors.categoryNeedsAuthorisation(spec.labelZh, spec.id);
    cats = [spec.id];
  }
  const at = now.toISOString();
  const { total, rows } = await searchRecords(db, {
    categories: cats, from: q.from, to: q.to, authority: q.authority, q: q.q, page: q.page, pageSize: q.pageSize,
    publicityEnd: include ? undefined : { fields: publicityEndFields(), endsBefore: at.slice(0, 10) },
  });
  const enterprises = [...new Set(rows.map((x) => x.subject_uscc))].sort();
  // One query for the page: every grant in force for its enterprises, latest expiry first.
  const inForce = enterprises.length ? await authorisationsInForce(db, { enterpriseUscc: enterprises, institutionId: r.institutionId, at }) : [];
  const grants = new Map<string, string | null>();
  const masked: Record<string, string[]> = {};
  const items = [];
  for (const x of rows) {
    const key = `${x.subject_uscc}|${x.category}`;
    if (!grants.has(key)) {
      const g = inForce.find((a) => a.enterprise_uscc === x.subject_uscc && a.categories.includes(x.category));
      grants.set(key, g?.id ?? null);
    }
    const grantId = grants.get(key)!;
    const v = viewFields(categorySpec(x.category), x.fields, grantId !== null);
    if (v.masked.length) masked[key] = [...new Set([...(masked[key] ?? []), ...v.masked])].sort();
    items.push({
      category: x.category, naturalKey: x.natural_key, subjectUscc: x.subject_uscc, subjectName: x.subject_name, eventDate: x.event_date,
      fields: v.fields, maskedFields: v.masked, authorisationId: grantId, provenance: provenanceView(x),
    });
  }
  await appendAccess(db, {
    at, requestId: r.requestId, actor: r.actor, action: 'records.search', enterprises,
    detail: {
      query: { category: q.category ?? null, from: q.from ?? null, to: q.to ?? null, authority: q.authority ?? null, q: q.q ?? null, page: q.page, pageSize: q.pageSize },
      categories: cats, returned: rows.length, masked,
      authorisations: Object.fromEntries([...grants].filter(([, id]) => id !== null)),
      includePastPublicity: include, via: r.via,
    },
  });
  return { page: q.page, pageSize: q.pageSize, total, items };
}

/**
 * The rejected rows of a batch, as delivered (they hold enterprises' data, so handing them out is an
 * access too). The caller has already decided the reader may see this batch (its deliverer, or an admin).
 */
export async function readRejects(
  db: Db, r: Reader, batch: Pick<BatchRow, 'id' | 'rejected'>, now: Date,
  opts: { status?: RejectStatus; pageSize?: number; format?: string } = {},
) {
  mayRead(r, ['provider', 'admin']);
  await appendAccess(db, {
    at: now.toISOString(), requestId: r.requestId, actor: r.actor, action: 'batch.rejects', enterprises: [],
    detail: { batchId: batch.id, rejectedRows: batch.rejected, via: r.via, ...opts },
  });
  return rejectedRows(db, batch.id, { status: opts.status, pageSize: opts.pageSize });
}
