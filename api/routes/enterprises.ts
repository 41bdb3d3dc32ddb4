// Analyst side: one enterprise's profile, and record search. Public data for any analyst; the
// non-public fields and categories only under the enterprise's authorisation for the institution.
// Every answer is recorded in the access log with what was returned, masked or withheld.
import type { FastifyPluginAsync } from 'fastify';
import { category as categorySpec, findCategory, type CategoryId } from '../../schemas/registry.ts';
import { appendAccess } from '../../store/access-log.ts';
import { authorisationsInForce } from '../../store/authorisations.ts';
import type { Db } from '../../store/db.ts';
import { searchRecords } from '../../store/record-search.ts';
import { isGatedCategory, publicCategories, publicityEndFields, viewFields } from '../access.ts';
import { Errors } from '../errors.ts';
import { actorOf, identityOf, type Identity } from '../identity.ts';
import { enterpriseProfile, provenanceView } from '../profile.ts';
import { errorResponses } from '../schemas.ts';

export interface EnterpriseRouteOptions {
  readonly db: Db;
  readonly now: () => Date;
}

const includePastPublicity = {
  type: 'boolean', default: false,
  description: '包含已过公示截止期的处罚（仅管理员）/ include penalties past their 公示截止期 (admin only)',
} as const;

/** Analysts read under their institution's authorisations; the platform's own staff under the platform's. */
const institutionOf = (who: Identity) => (who.role === 'analyst' ? who.unit : null);

function pastPublicityAllowed(who: Identity, asked: boolean): boolean {
  if (asked && who.role !== 'admin') throw Errors.forbidden();
  return asked;
}

export const enterpriseRoutes: FastifyPluginAsync<EnterpriseRouteOptions> = async (app, opts) => {
  const { db } = opts;

  app.get('/enterprises/:uscc', {
    config: { roles: ['analyst', 'admin'] },
    schema: {
      tags: ['analyst'],
      summary: '企业信用画像（七类信息、来源与派生指标）/ enterprise profile across the seven categories',
      params: { type: 'object', required: ['uscc'], properties: { uscc: { type: 'string', pattern: '^[0-9A-Za-z]{18}$', description: '统一社会信用代码' } } },
      querystring: {
        type: 'object',
        properties: {
          includePastPublicity,
          asOf: { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', description: '指标计算基准日（默认上海时区今日）/ the day the water and gas indicators are computed as of (default: today in Asia/Shanghai)' },
        },
      },
      response: { 200: { $ref: 'EnterpriseProfile#' }, ...errorResponses(400, 401, 403, 429) },
    },
  }, async (req) => {
    const who = identityOf(req);
    const uscc = (req.params as { uscc: string }).uscc.toUpperCase();
    const query = req.query as { includePastPublicity: boolean; asOf?: string };
    const include = pastPublicityAllowed(who, query.includePastPublicity);
    const now = opts.now();
    const { body, access } = await enterpriseProfile(db, uscc, { institution: institutionOf(who), includePastPublicity: include, now, asOf: query.asOf });
    await appendAccess(db, {
      at: now.toISOString(), requestId: req.id, actor: actorOf(who), action: 'enterprise.read', enterprises: [uscc],
      detail: { ...access, includePastPublicity: include },
    });
    return body;
  });

  app.get('/records', {
    config: { roles: ['analyst', 'admin'] },
    schema: {
      tags: ['analyst'],
      summary: '检索公开类别的记录（分页）/ search the records of the public categories, a page at a time',
      description: '水费、燃气费、科技研发、新型农业经营主体为非公开信息，只能在企业授权下按企业查询 / the non-public categories are read per enterprise under authorisation',
      querystring: {
        type: 'object',
        properties: {
          category: { type: 'string', description: '类别（英文键或中文名）/ category id or Chinese name' },
          from: { type: 'string', format: 'date', description: '事件日期起 / event date from' },
          to: { type: 'string', format: 'date', description: '事件日期止 / event date to' },
          authority: { type: 'string', maxLength: 100, description: '行政机关名称（部分）或统一社会信用代码 / deciding authority' },
          q: { type: 'string', maxLength: 100, description: '企业名称（部分）或统一社会信用代码 / enterprise name or USCC' },
          page: { type: 'integer', minimum: 1, maximum: 10_000, default: 1 },
          pageSize: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          includePastPublicity,
        },
      },
      response: { 200: { $ref: 'RecordPage#' }, ...errorResponses(400, 401, 403, 429) },
    },
  }, async (req) => {
    const who = identityOf(req);
    const q = req.query as { category?: string; from?: string; to?: string; authority?: string; q?: string; page: number; pageSize: number; includePastPublicity: boolean };
    const include = pastPublicityAllowed(who, q.includePastPublicity);
    let cats: CategoryId[] = publicCategories();
    if (q.category) {
      const spec = findCategory(q.category);
      if (!spec) throw Errors.unknownCategory(q.category);
      if (isGatedCategory(spec)) throw Errors.categoryNeedsAuthorisation(spec.labelZh, spec.id);
      cats = [spec.id];
    }
    const now = opts.now();
    const at = now.toISOString();
    const { total, rows } = await searchRecords(db, {
      categories: cats, from: q.from, to: q.to, authority: q.authority, q: q.q, page: q.page, pageSize: q.pageSize,
      publicityEnd: include ? undefined : { fields: publicityEndFields(), endsBefore: at.slice(0, 10) },
    });
    const enterprises = [...new Set(rows.map((r) => r.subject_uscc))].sort();
    // One query for the page: every grant in force for its enterprises, latest expiry first.
    const inForce = enterprises.length ? await authorisationsInForce(db, { enterpriseUscc: enterprises, institution: institutionOf(who), at }) : [];
    const grants = new Map<string, string | null>();
    const masked: Record<string, string[]> = {};
    const items = [];
    for (const r of rows) {
      const key = `${r.subject_uscc}|${r.category}`;
      if (!grants.has(key)) {
        const g = inForce.find((x) => x.enterprise_uscc === r.subject_uscc && x.categories.includes(r.category));
        grants.set(key, g?.id ?? null);
      }
      const grantId = grants.get(key)!;
      const v = viewFields(categorySpec(r.category), r.fields, grantId !== null);
      if (v.masked.length) masked[key] = [...new Set([...(masked[key] ?? []), ...v.masked])].sort();
      items.push({
        category: r.category, naturalKey: r.natural_key, subjectUscc: r.subject_uscc, subjectName: r.subject_name, eventDate: r.event_date,
        fields: v.fields, maskedFields: v.masked, authorisationId: grantId, provenance: provenanceView(r),
      });
    }
    await appendAccess(db, {
      at, requestId: req.id, actor: actorOf(who), action: 'records.search', enterprises,
      detail: {
        query: { category: q.category ?? null, from: q.from ?? null, to: q.to ?? null, authority: q.authority ?? null, q: q.q ?? null, page: q.page, pageSize: q.pageSize },
        categories: cats, returned: rows.length, masked,
        authorisations: Object.fromEntries([...grants].filter(([, id]) => id !== null)),
        includePastPublicity: include,
      },
    });
    return { page: q.page, pageSize: q.pageSize, total, items };
  });
};
