// Admin side: API tokens, the enterprise authorisation registry, and the access log's chain check.
// Every change goes through api/operations.ts, which records it in the access log.
import type { FastifyPluginAsync } from 'fastify';
import { CATEGORY_IDS } from '../../schemas/registry.ts';
import { verifyAccessLog } from '../../store/access-log.ts';
import { CheckpointError, latestCheckpoint } from '../../store/audit-checkpoint.ts';
import { ROLES, type Role } from '../../store/api-tokens.ts';
import type { Db } from '../../store/db.ts';
import { actorOf, identityOf } from '../identity.ts';
import { addInstitution, createToken, grant, listGrants, listTokens, revoke, revokeToken, type GrantRequest } from '../operations.ts';
import { listInstitutions } from '../../store/institutions.ts';
import { errorResponses, uuidParam } from '../schemas.ts';

export interface AdminRouteOptions {
  readonly db: Db;
  readonly now: () => Date;
  /** Where the access log's signed checkpoints are; absent: verified without one. */
  readonly checkpointDir?: string;
}

const admin = { roles: ['admin'] as const };

export const adminRoutes: FastifyPluginAsync<AdminRouteOptions> = async (app, opts) => {
  const { db } = opts;
  const ctx = (req: Parameters<typeof identityOf>[0]) => ({ actor: actorOf(identityOf(req)), requestId: req.id, now: opts.now() });

  app.post('/admin/tokens', {
    config: admin,
    schema: {
      tags: ['admin'],
      summary: '创建 API 令牌（明文只返回这一次）/ create an API token (the plain token is returned once)',
      body: {
        type: 'object', required: ['role', 'unit'], additionalProperties: false,
        properties: {
          role: { type: 'string', enum: [...ROLES] },
          unit: { type: 'string', minLength: 1, maxLength: 200, description: '数据提供单位（名称或简称）、金融机构名称或管理员 / provider unit, institution or admin name' },
          label: { type: 'string', maxLength: 200 },
        },
      },
      response: { 201: { $ref: 'ApiToken#' }, ...errorResponses(400, 401, 403, 429) },
    },
  }, async (req, reply) => {
    const b = req.body as { role: Role; unit: string; label?: string };
    const { token, record } = await createToken(db, ctx(req), b);
    return reply.status(201).send({ ...record, token });
  });

  app.get('/admin/tokens', {
    config: admin,
    schema: { tags: ['admin'], summary: '令牌列表（不含明文）/ tokens, without their secrets', response: { 200: { type: 'array', items: { $ref: 'ApiToken#' } }, ...errorResponses(401, 403, 429) } },
  }, async (req) => listTokens(db, ctx(req)));

  app.post('/admin/tokens/:id/revoke', {
    config: admin,
    schema: { tags: ['admin'], summary: '吊销令牌 / revoke a token', params: uuidParam, response: { 204: { type: 'null', description: 'revoked' }, ...errorResponses(400, 401, 403, 404, 429) } },
  }, async (req, reply) => {
    await revokeToken(db, ctx(req), (req.params as { id: string }).id);
    return reply.status(204).send();
  });

  const institution = { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, created_at: { type: 'string' } } } as const;
  app.post('/admin/institutions', {
    config: admin,
    schema: {
      tags: ['admin'],
      summary: '登记金融机构（名称规范化后去重）/ register a lending institution (one per normalised name)',
      body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 200 } } },
      response: { 200: institution, 201: institution, ...errorResponses(400, 401, 403, 429) },
    },
  }, async (req, reply) => {
    const { institution: i, created } = await addInstitution(db, ctx(req), (req.body as { name: string }).name);
    return reply.status(created ? 201 : 200).send(i);
  });

  app.get('/admin/institutions', {
    config: admin,
    schema: { tags: ['admin'], summary: '金融机构登记 / the institution registry', response: { 200: { type: 'array', items: institution }, ...errorResponses(401, 403, 429) } },
  }, async () => listInstitutions(db));

  app.post('/admin/authorisations', {
    config: admin,
    schema: {
      tags: ['admin'],
      summary: '登记企业授权 / record an enterprise authorisation',
      description: '附件注3：经企业授权，指书面授权或实名注册后线上授权 / annex note 3: written, or online after real-name registration',
      body: {
        type: 'object', additionalProperties: false,
        required: ['enterpriseUscc', 'categories', 'institution', 'grantedAt', 'expiresAt', 'evidenceKind'],
        properties: {
          enterpriseUscc: { type: 'string', pattern: '^[0-9A-Za-z]{18}$' },
          categories: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...CATEGORY_IDS] } },
          institution: { type: ['string', 'null'], minLength: 1, maxLength: 200, description: '已登记的金融机构（id 或名称）；null 为平台自身（归集）/ a registered institution (id or name); null for the platform itself' },
          grantedAt: { type: 'string', anyOf: [{ format: 'date' }, { format: 'date-time' }], description: '日期（北京时间当日零时起）或时刻 / a date (from the start of that day, Beijing time) or an instant' },
          expiresAt: { type: 'string', anyOf: [{ format: 'date' }, { format: 'date-time' }], description: '日期（至北京时间当日结束）或时刻 / a date (to the end of that day, Beijing time) or an instant' },
          evidenceKind: { type: 'string', enum: ['书面', '线上'] },
          evidenceRef: { type: 'string', maxLength: 200 },
        },
      },
      response: { 201: { $ref: 'Authorisation#' }, ...errorResponses(400, 401, 403, 429) },
    },
  }, async (req, reply) => reply.status(201).send(await grant(db, ctx(req), req.body as GrantRequest)));

  app.get('/admin/authorisations', {
    config: admin,
    schema: {
      tags: ['admin'],
      summary: '企业授权登记（可按企业筛选）/ the authorisation registry, optionally for one enterprise',
      querystring: { type: 'object', properties: { uscc: { type: 'string', pattern: '^[0-9A-Za-z]{18}$' } } },
      response: { 200: { type: 'array', items: { $ref: 'Authorisation#' } }, ...errorResponses(400, 401, 403, 429) },
    },
  }, async (req) => listGrants(db, ctx(req), (req.query as { uscc?: string }).uscc?.toUpperCase()));

  app.post('/admin/authorisations/:id/revoke', {
    config: admin,
    schema: { tags: ['admin'], summary: '撤销企业授权 / revoke an authorisation', params: uuidParam, response: { 200: { $ref: 'Authorisation#' }, ...errorResponses(400, 401, 403, 404, 429) } },
  }, async (req) => revoke(db, ctx(req), (req.params as { id: string }).id));

  app.get('/admin/audit/verify', {
    config: admin,
    schema: { tags: ['admin'], summary: '校验访问日志哈希链 / verify the access log\'s hash chain', response: { 200: { $ref: 'ChainReport#' }, ...errorResponses(401, 403, 429) } },
  }, async () => {
    let checkpoint = null;
    try {
      checkpoint = opts.checkpointDir ? latestCheckpoint(opts.checkpointDir, db.audit) : null;
    } catch (e) {
      // A forged or unreadable checkpoint is itself a finding, not a failure of the check.
      if (!(e instanceof CheckpointError)) throw e;
      const r = await verifyAccessLog(db);
      const [zh, en] = e.message.split(' / ');
      return { ...r, ok: false, problems: [...r.problems, { seq: 0, kind: 'checkpoint', messageZh: zh, messageEn: en ?? zh }] };
    }
    return verifyAccessLog(db, { checkpoint });
  });
};
