// Issuing, rebuilding and verifying credit reports. A report is read at its cut-off (the moment it
// is issued) under the reader's grants in force then; its access-log entry keeps what is needed to
// rebuild it exactly (cut-off, grants by id, card version) and the SHA-256 of its content.
import { randomBytes } from 'node:crypto';
import { shippedCard, type Card } from '../evaluation/card.ts';
import { buildReport, reportHash, type ReportContent, type ReportRecord } from '../evaluation/report.ts';
import type { CategoryId } from '../schemas/registry.ts';
import { appendAccess, entryHash, reportEntry, type AccessActor } from '../store/access-log.ts';
import { authorisationsInForce } from '../store/authorisations.ts';
import type { Db } from '../store/db.ts';
import { categoryCutoffs, readableCutoff, recordsAsOf, type RecordAsOf } from '../store/evaluations.ts';
import { isGatedCategory } from '../schemas/sensitivity.ts';
import { pastPublicity, viewFields } from './access.ts';
import { Errors } from './errors.ts';

export type ReportFormat = 'json' | 'pdf' | 'html';

const toReportRecord = (r: RecordAsOf): ReportRecord => ({
  id: r.record_id, version: r.version, category: r.category, naturalKey: r.natural_key, batchId: r.batch_id, contentHash: r.content_hash, fields: r.fields,
  sourceUnit: r.source_unit, deliveredBy: r.delivered_by, sourceLine: r.source_line, receivedAt: r.received_at, loadedAt: r.loaded_at,
});

/** 信用报告编号: XYBG-<date>-<10 random hex>, unguessable so a number alone reveals nothing. */
export const newReportNo = (now: Date) => `XYBG-${now.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(5).toString('hex').toUpperCase()}`;

interface Logged {
  reportNo: string; sha256: string; uscc: string; generatedAt: string; asOf: string; dataCutoff: string;
  card: { id: string; version: string }; reader: ReportContent['reader']; grants: Partial<Record<CategoryId, { id: string; expiresAt: string }>>; format: ReportFormat;
}

async function content(db: Db, l: Omit<Logged, 'sha256' | 'format'>, card: Card): Promise<ReportContent> {
  const [rows, cutoffs] = await Promise.all([recordsAsOf(db, [l.uscc], l.dataCutoff), categoryCutoffs(db, l.dataCutoff)]);
  return buildReport({
    reportNo: l.reportNo, generatedAt: l.generatedAt, asOf: l.asOf, dataCutoff: l.dataCutoff, uscc: l.uscc, reader: l.reader,
    grants: l.grants, categoryCutoffs: cutoffs, records: rows.map(toReportRecord), card, rules: { isGatedCategory, pastPublicity, viewFields },
  });
}

export interface IssueRequest {
  readonly uscc: string;
  readonly actor: AccessActor;
  /** The institution whose grants apply (registry id and name); null for the platform's own staff. */
  readonly institution: { readonly id: string; readonly name: string } | null;
  readonly requestId: string | null;
  readonly now: Date;
  readonly card: Card;
  readonly format: ReportFormat;
}

/** Builds the report and records its issue, with its hash, in the access log. */
export async function issueReport(db: Db, q: IssueRequest): Promise<{ content: ReportContent; sha256: string }> {
  const generatedAt = q.now.toISOString();
  const grants: Logged['grants'] = {};
  // Latest expiry first: the grant lasting longest stands for the category.
  for (const g of await authorisationsInForce(db, { enterpriseUscc: q.uscc, institutionId: q.institution?.id ?? null, at: generatedAt })) {
    for (const c of g.categories) grants[c] ??= { id: g.id, expiresAt: g.expires_at };
  }
  const l = {
    reportNo: newReportNo(q.now), uscc: q.uscc, generatedAt, asOf: generatedAt.slice(0, 10), dataCutoff: await readableCutoff(db, q.now),
    card: { id: q.card.id, version: q.card.version }, reader: { role: q.actor.role, unit: q.actor.unit, institution: q.institution?.name ?? null }, grants,
  };
  const c = await content(db, l, q.card);
  const sha256 = reportHash(c);
  const withheld = c.sections.flatMap((s) => s.subsections ?? []).filter((s) => s.status === 'withheld').map((s) => s.id);
  await appendAccess(db, {
    at: generatedAt, requestId: q.requestId, actor: q.actor, action: 'report.issue', enterprises: [q.uscc],
    detail: { ...l, sha256, format: q.format, withheld, grades: { public: c.evaluations.public.grade, enriched: c.evaluations.enriched?.grade ?? null } },
  });
  return { content: c, sha256 };
}

/** The report rebuilt from its access-log entry: the same cut-off, grants and card version. */
export async function rebuildReport(db: Db, reportNo: string): Promise<{ content: ReportContent; logged: Logged } | undefined> {
  const e = await reportEntry(db, reportNo);
  if (!e) return undefined;
  const l = e.detail as unknown as Logged;
  const card = shippedCard(l.card.id);
  if (card.version !== l.card.version) throw Errors.badRequest(`评分卡 ${l.card.id} 已更新至 ${card.version}，无法按 ${l.card.version} 重建`, `card ${l.card.id} is now ${card.version}; cannot rebuild with ${l.card.version}`);
  return { content: await content(db, l, card), logged: l };
}

export interface Verification {
  readonly reportNo: string;
  /** Issued by this platform: its number is in the access log and that entry is intact. */
  readonly genuine: boolean;
  /** The hash given matches the one recorded; null when no hash was given. */
  readonly unaltered: boolean | null;
  /** The report rebuilt now from the store at its cut-off still has the recorded hash (the record history is intact). */
  readonly reproducible: boolean | null;
  readonly issuedAt: string | null;
  readonly enterprise: string | null;
  readonly recordedSha256: string | null;
  readonly messageZh: string;
  readonly messageEn: string;
}

export async function verifyReport(db: Db, reportNo: string, sha256: string | undefined): Promise<Verification> {
  const e = await reportEntry(db, reportNo);
  if (!e) {
    return { reportNo, genuine: false, unaltered: sha256 === undefined ? null : false, reproducible: null, issuedAt: null, enterprise: null, recordedSha256: null,
      messageZh: '本平台未出具过该编号的报告', messageEn: 'no report with this number was issued by this platform' };
  }
  // The entry verifies under the key it names (the access log's keyed chain); an unknown key cannot vouch for it.
  const key = e.keyId === null ? null : db.audit.byId.get(e.keyId);
  const intact = key !== undefined && entryHash(e.prevHash, e.seq, e, key) === e.hash;
  const recorded = (e.detail as { sha256: string }).sha256;
  const unaltered = sha256 === undefined ? null : sha256.toLowerCase() === recorded;
  const rebuilt = intact ? await rebuildReport(db, reportNo).catch(() => undefined) : undefined;
  const reproducible = rebuilt ? reportHash(rebuilt.content) === recorded : null;
  const base = { reportNo, genuine: intact, unaltered, reproducible, issuedAt: e.at, enterprise: e.enterprises[0] ?? null, recordedSha256: recorded };
  if (!intact) return { ...base, messageZh: '该报告的出具记录已被改动，无法核验', messageEn: 'the access-log entry of this report was altered; it cannot be verified' };
  if (unaltered === false) return { ...base, messageZh: '报告编号真实，但所提供报告的内容摘要与出具时不符：报告已被改动', messageEn: 'the report number is genuine but the content hash differs from the one issued: the report was altered' };
  if (unaltered) return { ...base, messageZh: '报告真实，内容未被改动', messageEn: 'the report is genuine and unaltered' };
  return { ...base, messageZh: '报告编号真实；请提供报告内容摘要以核验是否被改动', messageEn: 'the report number is genuine; give the content hash to check it was not altered' };
}
