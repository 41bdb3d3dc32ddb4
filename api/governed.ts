// The one door to enterprise data. Every read of it — the API's routes, the CLI's `profile`,
// `rejects`, `evaluate` and `report`, reports and evaluations — goes through these functions: they
// apply the rules of api/access.ts for the reader's role and institution, and the revocation rule
// (store/authorisations.ts), and append the access-log entry before the data is handed over. A caller builds a Reader for its door (apiReader, cliReader) and never reads
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
import { allEnterprises, evaluatePages, pagesOf, type EnterpriseEvaluations } from '../evaluation/bulk.ts';
import type { Card } from '../evaluation/card.ts';
import { evaluateForReader } from '../evaluation/read.ts';
import { viewFields } from './access.ts';
import { issueReport, type ReportFormat } from './credit-report.ts';
import { Errors } from './errors.ts';
import { actorOf, type Identity } from './identity.ts';
import { enterpriseProfile, provenanceView } from './profile.ts';

export interface Reader {
  /** Who reads, as the access log names them. */
  readonly actor: AccessActor;
  readonly role: Role;
  /** The registry id of the institution whose authorisations the reader reads under; null for the platform's own staff. */
  readonly institutionId: string | null;
  /** Its registered name (a credit report names the institution it was issued to); null with the id. */
  readonly institutionName: string | null;
  readonly requestId: string | null;
  /** How the read came in, recorded with it: the API route, or the CLI command and the operating-system user. */
  readonly via: Readonly<Record<string, string>>;
}

/** A caller of the API: analysts read under their institution's authorisations, admins under the platform's. */
export function apiReader(who: Identity, req: { id: string; method: string; routeOptions: { url?: string } }): Reader {
  const institutionId = who.role === 'analyst' ? who.institutionId ?? null : null;
  return {
    // An analyst token's unit is its institution's registered name.
    actor: actorOf(who), role: who.role, institutionId, institutionName: institutionId === null ? null : who.unit, requestId: req.id,
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
    role: institution ? 'analyst' : 'admin', institutionId: institution?.id ?? null, institutionName: institution?.name ?? null, requestId: null,
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

/**
 * One enterprise's basic credit evaluation as the reader may see it: the public tier, the enriched
 * tier only under the reader's grants in force for its non-public categories, never a record the
 * revocation rule withholds (evaluation/read.ts evaluateForReader). Contributions cite record ids only,
 * so there is nothing to mask; 公示截止期 is the engine's tier rule.
 */
export async function readEvaluation(db: Db, r: Reader, uscc: string, o: { card: Card; asOf: string; now: Date }) {
  mayRead(r, ['analyst', 'admin']);
  const code = uscc.trim().toUpperCase();
  const e = await evaluateForReader(db, { card: o.card, uscc: code, asOf: o.asOf, now: o.now, institutionId: r.institutionId });
  await appendAccess(db, {
    at: o.now.toISOString(), requestId: r.requestId, actor: r.actor, action: 'evaluation.read', enterprises: [code],
    detail: {
      card: { id: o.card.id, version: o.card.version }, asOf: o.asOf, tiers: e.enriched ? ['public', 'enriched'] : ['public'],
      grades: { public: e.public.grade, enriched: e.enriched?.grade ?? null }, inputHashes: { public: e.public.inputHash, enriched: e.enriched?.inputHash ?? null },
      lapsed: Object.keys({ ...e.public.lapsed, ...e.enriched?.lapsed }).sort(), via: r.via,
    },
  });
  return { uscc: code, ...e };
}

/**
 * Evaluations of many enterprises for the command line: each named one as readEvaluation reads it
 * (no entry per enterprise: one for the run), or every enterprise, or stored as the platform's. Only
 * platform staff store: a stored evaluation is the platform's, under its grants.
 */
export async function* readEvaluations(db: Db, r: Reader, q: { card: Card; asOf: string; now: Date; usccs?: readonly string[]; store?: string }): AsyncGenerator<EnterpriseEvaluations> {
  mayRead(r, ['analyst', 'admin']);
  if (q.store && r.institutionId !== null) throw Errors.forbidden();
  const usccs = q.usccs?.map((u) => u.trim().toUpperCase());
  await appendAccess(db, {
    at: q.now.toISOString(), requestId: r.requestId, actor: r.actor, action: 'evaluation.run', enterprises: usccs ?? [],
    detail: { card: { id: q.card.id, version: q.card.version }, asOf: q.asOf, all: usccs === undefined, stored: Boolean(q.store), via: r.via },
  });
  if (usccs && !q.store) {
    // One by one, as the service answers: a past date rebuilt to the cut-off of the evaluation stored for it.
    for (const uscc of usccs) yield { uscc, ...(await evaluateForReader(db, { card: q.card, uscc, asOf: q.asOf, now: q.now, institutionId: r.institutionId })) };
    return;
  }
  const pages = usccs ? pagesOf(usccs) : allEnterprises(db, q.asOf, q.now);
  yield* evaluatePages(db, pages, { card: q.card, asOf: q.asOf, now: q.now, store: q.store, institutionId: r.institutionId });
}

/**
 * A credit report issued to the reader (api/credit-report.ts issueReport): sections and the
 * evaluation under the reader's grants, masked and withheld by the rules of the profile, logged with
 * its hash before it is handed over.
 */
export async function readReport(db: Db, r: Reader, uscc: string, o: { card: Card; format: ReportFormat; now: Date }) {
  mayRead(r, ['analyst', 'admin']);
  return issueReport(db, { uscc: uscc.trim().toUpperCase(), reader: r, now: o.now, card: o.card, format: o.format });
}
