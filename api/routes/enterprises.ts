// Analyst side: one enterprise's profile, and record search. Public data for any analyst; the
// non-public fields and categories only under the enterprise's authorisation for the institution.
// Every answer is recorded in the access log with what was returned, masked or withheld.
import type { FastifyPluginAsync } from 'fastify';
import type { Db } from '../../store/db.ts';
import { apiReader, readEnterprise, searchPublicRecords, type RecordQuery } from '../governed.ts';
import { identityOf } from '../identity.ts';
import { errorResponses } from '../schemas.ts';

export interface EnterpriseRouteOptions {
  readonly db: Db;
  readonly now: () => Date;
}

const includePastPublicity = {
  type: 'boolean', default: false,
  description: '包含已过公示截止期的处罚（仅管理员）/ include penalties past their 公示截止期 (admin only)',
} as const;

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
    const query = req.query as { includePastPublicity: boolean; asOf?: string };
    return readEnterprise(db, apiReader(identityOf(req), req), (req.params as { uscc: string }).uscc, {
      includePastPublicity: query.includePastPublicity, now: opts.now(), asOf: query.asOf,
    });
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
  }, async (req) => searchPublicRecords(db, apiReader(identityOf(req), req), req.query as RecordQuery, opts.now()));
};
