// Shared JSON Schemas of the service's responses: fastify validates and serialises with them, and
// @fastify/swagger publishes them as the OpenAPI document's components.
import { CATEGORY_IDS } from '../schemas/registry.ts';
import { ROLES } from '../store/api-tokens.ts';
import { BATCH_STATUSES } from '../store/batch-status.ts';
import { errorResponseSchema } from './errors.ts';

const str = { type: 'string' } as const;
const nstr = { type: ['string', 'null'] } as const;
const int = { type: 'integer' } as const;
const issue = {
  type: ['object', 'null'],
  properties: { code: str, line: { type: ['integer', 'null'] }, column: nstr, value: nstr, messageZh: str, messageEn: str },
} as const;

export const batchSchema = {
  $id: 'Batch',
  type: 'object',
  description: '一个批次的状态与核对后的计数 / a batch with its status and reconciled counts',
  required: ['id', 'category', 'status', 'counts'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    category: { type: 'string', enum: [...CATEGORY_IDS] },
    categoryLabelZh: str,
    fileName: str,
    deliveredBy: { ...str, description: '报送单位（由令牌确定）/ the delivering unit, from the token' },
    status: { type: 'string', enum: [...BATCH_STATUSES] },
    encoding: nstr,
    sizeBytes: { type: ['integer', 'null'] },
    sha256: nstr,
    receivedAt: str,
    finishedAt: nstr,
    counts: {
      type: 'object',
      description: 'read = accepted + rejected; accepted = inserted + updated + unchanged + duplicates',
      properties: { read: int, accepted: int, rejected: int, inserted: int, updated: int, unchanged: int, duplicates: int, warnings: int },
    },
    refusal: issue,
    error: nstr,
    warnings: { type: 'array', description: '警告（前100条）/ warnings, the first 100', items: issue },
    corrects: { ...nstr, description: '本批次更正的批次 / the batch this one corrects' },
    openRejects: { type: 'integer', description: '尚未更正的错误行数 / rejected rows not yet corrected' },
    progress: {
      type: ['object', 'null'],
      description: '处理中批次的进度 / how far a running batch has got',
      properties: { rows: int, bytes: int, totalBytes: { type: ['integer', 'null'] } },
    },
    links: { type: 'object', properties: { self: str, rejects: str, rejectsXlsx: str, rejectList: str } },
  },
} as const;

export const rejectListSchema = {
  $id: 'RejectList',
  type: 'object',
  description: '批次的错误行及其更正状态 / a batch\'s rejected rows and whether a correction loaded them',
  properties: {
    batchId: str,
    total: int,
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          line: int,
          status: { type: 'string', enum: ['open', 'resolved'] },
          resolvedBy: nstr,
          resolvedLine: { type: ['integer', 'null'] },
          cells: { type: 'array', items: str },
          issues: { type: 'array', items: issue },
        },
      },
    },
  },
} as const;

export const batchListSchema = { $id: 'BatchList', type: 'object', properties: { items: { type: 'array', items: { $ref: 'Batch#' } } } } as const;

const provenanceSchema = {
  type: 'object',
  properties: {
    sourceUnit: str, deliveredBy: str, batchId: str, sourceLine: int, receivedAt: str, loadedAt: str, schemaVersion: str, version: int,
  },
} as const;

const fieldsSchema = { type: 'object', additionalProperties: true, description: '字段（英文键，见数据契约）；未授权的非公开字段已脱敏 / fields by key; non-public ones masked without authorisation' } as const;

export const profileSchema = {
  $id: 'EnterpriseProfile',
  type: 'object',
  required: ['uscc', 'categories', 'withheld'],
  properties: {
    uscc: str,
    name: nstr,
    asOf: str,
    categories: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          category: str, labelZh: str, sharing: str,
          authorisation: { type: ['object', 'null'], properties: { id: str, expiresAt: str } },
          maskedFields: { type: 'array', items: str },
          records: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                naturalKey: str, eventDate: nstr, fields: fieldsSchema, provenance: provenanceSchema,
                history: { type: 'array', items: { type: 'object', properties: { fields: fieldsSchema, provenance: provenanceSchema, supersededAt: str } } },
              },
            },
          },
        },
      },
    },
    withheld: {
      type: 'array',
      description: '因无在效企业授权而未提供的类别及原因 / categories left out for want of an authorisation in force, and why',
      items: { type: 'object', properties: { category: str, labelZh: str, reasonZh: str, reasonEn: str } },
    },
    indicators: {
      type: 'object',
      description: '水、燃气派生指标（近3/6个月月均用量、当前是否欠费，按上海时区自然月计算，规则见数据接口规范），报送值并列，不一致时标记 / '
        + 'derived water and gas indicators per account and per enterprise (rule in docs/data-contract.md), the provider-stated figures beside them, disagreements flagged',
      properties: {
        water: { type: 'object', additionalProperties: true },
        gas: { type: 'object', additionalProperties: true },
      },
    },
    pastPublicityHidden: { ...int, description: '已过公示截止期而未显示的记录数（仅管理员可见）/ records past their publicity end left out (admins only: for an analyst the count would disclose them)' },
  },
} as const;

export const recordPageSchema = {
  $id: 'RecordPage',
  type: 'object',
  properties: {
    page: int, pageSize: int, total: int,
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          category: str, naturalKey: str, subjectUscc: str, subjectName: str, eventDate: nstr,
          fields: fieldsSchema, maskedFields: { type: 'array', items: str }, authorisationId: nstr, provenance: provenanceSchema,
        },
      },
    },
  },
} as const;

export const tokenSchema = {
  $id: 'ApiToken',
  type: 'object',
  properties: {
    id: str, role: { type: 'string', enum: [...ROLES] }, unit: str, label: nstr, institution_id: nstr, created_by: str, created_at: str, revoked_at: nstr,
    token: { ...str, description: '仅在创建时返回一次 / returned once, at creation' },
  },
} as const;

export const authorisationSchema = {
  $id: 'Authorisation',
  type: 'object',
  properties: {
    id: str, enterprise_uscc: str, categories: { type: 'array', items: { type: 'string', enum: [...CATEGORY_IDS] } }, institution: nstr, institution_id: nstr,
    granted_at: str, expires_at: str, revoked_at: nstr, evidence_kind: { type: 'string', enum: ['书面', '线上'] }, evidence_ref: nstr,
    recorded_by: str, recorded_at: str,
  },
} as const;

export const chainReportSchema = {
  $id: 'ChainReport',
  type: 'object',
  properties: {
    ok: { type: 'boolean' }, entries: int,
    problems: { type: 'array', items: { type: 'object', properties: { seq: int, kind: str, messageZh: str, messageEn: str } } },
    checkpoint: {
      type: ['object', 'null'], description: '校验所依据的检查点（库外签名保存）；null 表示没有检查点，无法发现末尾被删除的记录 / the checkpoint checked against; null: none, a cut-off end goes unseen',
      properties: { seq: int, hash: str, at: str },
    },
  },
} as const;

export const sharedSchemas = [errorResponseSchema, batchSchema, batchListSchema, rejectListSchema, profileSchema, recordPageSchema, tokenSchema, authorisationSchema, chainReportSchema];

export const errorResponses = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, { $ref: 'Error#' }]));
export const uuidParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
