// The provider and analyst service, built by a factory so tests drive it with inject() and the
// `serve` command listens with it. Everything it needs comes in through deps.
import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import pino from 'pino';
import type { ErrorBudgets } from '../pipelines/error-budget.ts';
import type { Logger } from '../lib/logger.ts';
import type { MetricsSource } from '../lib/metrics.ts';
import { registerOpsRoutes, type ReadinessCheck } from '../lib/ops-routes.ts';
import type { IngestLimits } from '../pipelines/limits.ts';
import { appendAccess } from '../store/access-log.ts';
import type { Db } from '../store/db.ts';
import { storeReadiness } from '../store/readiness.ts';
import { tokenLookup } from '../store/token-cache.ts';
import { ApiError, Errors } from './errors.ts';
import { AuthFailures, actorOf, registerIdentity } from './identity.ts';
import { adminRoutes } from './routes/admin.ts';
import { alertRoutes } from './routes/alerts.ts';
import { batchRoutes } from './routes/batches.ts';
import { enterpriseRoutes } from './routes/enterprises.ts';
import { evaluationRoutes } from './routes/evaluation.ts';
import { pageRoutes } from './routes/page.ts';
import { sharedSchemas } from './schemas.ts';
import { ingestUpload, UploadNotQueuedError, type RunUpload } from '../ingest/upload.ts';

export interface AppDeps {
  readonly db: Db;
  readonly log?: Logger;
  /** The clock for authorisations in force and publicity periods. */
  readonly now?: () => Date;
  /** Where uploads are written before the batch reads them: under the data folder, mode 0700 (never a shared /tmp). */
  readonly uploadDir: string;
  /**
   * Runs a stored upload as a batch; default: in this process, before the upload is answered. With
   * Redis configured the caller passes jobs/ingest-upload.ts queuedRunUpload (registered as received,
   * queued, answered 202); uploadDir must then be durable and shared with the workers.
   */
  readonly runUpload?: RunUpload;
  readonly limits?: { readonly fileBytes?: number; readonly bodyBytes?: number; readonly requestsPerMinute?: number };
  /** What one delivery may be (record length, columns), as for every other batch; default the pipeline's. */
  readonly ingestLimits?: IngestLimits;
  /** /ready's checks besides the store's (database, migrations): e.g. Redis when uploads are queued. */
  readonly readiness?: Readonly<Record<string, ReadinessCheck>>;
  /** /metrics renders these too (the upload queue's BullMQ series). */
  readonly metricsSources?: readonly MetricsSource[];
  /** Failed authentications from one client address in a minute before it is refused (default 20). */
  readonly authFailuresPerMinute?: number;
  /** Where the access log's signed checkpoints are (GET /admin/audit/verify checks against the latest). */
  readonly checkpointDir?: string;
  /** Each category's default error budget for uploads (CREDIT_ETL_ERROR_BUDGET); none: no upload is refused for its rejected rows. */
  readonly errorBudgets?: ErrorBudgets;
}

export const DEFAULT_SERVICE_LIMITS = { fileBytes: 200 * 1024 * 1024, bodyBytes: 64 * 1024, requestsPerMinute: 300 } as const;

function toApiError(e: FastifyError): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof UploadNotQueuedError) return Errors.queueUnavailable();
  if (e.validation) return Errors.badRequest(`请求参数无效：${e.message}`, `invalid request: ${e.message}`);
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return Errors.bodyTooLarge();
  if (e.statusCode === 415 || e.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
    return Errors.unsupportedMediaType(e.message);
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new ApiError(e.statusCode, e.code ?? 'E_BAD_REQUEST', '请求无效', e.message);
  return Errors.internal();
}

const INVALID_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The name of the first field (or "" for the value itself) whose text holds NUL or a lone surrogate. */
function invalidText(v: unknown, name = ''): string | undefined {
  if (typeof v === 'string') return INVALID_TEXT.test(v) ? name : undefined;
  if (Array.isArray(v)) {
    for (const x of v) {
      const bad = invalidText(x, name);
      if (bad !== undefined) return bad;
    }
  } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
    for (const [k, x] of Object.entries(v)) {
      const bad = INVALID_TEXT.test(k) ? k : invalidText(x, name ? `${name}.${k}` : k);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const limits = { ...DEFAULT_SERVICE_LIMITS, ...deps.limits };
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? pino({ level: 'silent' });
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    bodyLimit: limits.bodyBytes,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array' } },
  });
  for (const s of sharedSchemas) app.addSchema(s);

  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    const e = toApiError(err);
    if (e.statusCode >= 500) req.log.error({ err }, 'request failed');
    // A refusal is an access attempt too (item 12): who asked for what, and why it was refused.
    if (e.statusCode === 403 && req.identity) {
      const uscc = (req.params as { uscc?: unknown } | undefined)?.uscc;
      await appendAccess(deps.db, {
        at: now().toISOString(), requestId: req.id, actor: actorOf(req.identity), action: 'access.denied',
        enterprises: typeof uscc === 'string' && /^[0-9A-Za-z]{18}$/.test(uscc) ? [uscc.toUpperCase()] : [],
        detail: { method: req.method, route: req.routeOptions.url ?? null, code: e.code },
      });
    }
    return reply.status(e.statusCode).send({ code: e.code, messageZh: e.messageZh, messageEn: e.messageEn, requestId: req.id });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ code: 'E_NOT_FOUND', messageZh: '没有这个地址', messageEn: 'no such route', requestId: req.id }));
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    // Whatever a token opens may carry personal data: no browser or proxy keeps a copy.
    if (req.routeOptions.config?.roles) reply.header('cache-control', 'no-store');
  });
  // PostgreSQL text cannot hold NUL, and a lone surrogate is not text: refused here with a code of
  // the catalogue, not left to fail in the store as a 500.
  app.addHook('preValidation', async (req) => {
    for (const [where, value] of [['query', req.query], ['params', req.params], ['body', req.body]] as const) {
      const bad = invalidText(value);
      if (bad !== undefined) throw Errors.invalidText(where, bad);
    }
  });

  await app.register(helmet);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'credit-etl 数据报送与查询服务 / provider and analyst service',
        version: '1.0.0',
        description: '数据提供单位报送批次；金融机构在企业授权下查询企业信用信息（临政办发〔2023〕9号 第12条）。每次查询与管理操作均记入防篡改访问日志。',
      },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer', description: 'credit-etl tokens create --unit <name> --role provider|analyst|admin' } } },
      security: [{ token: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  const tokens = await tokenLookup(deps.db, { log });
  app.addHook('onClose', () => tokens.close());
  registerIdentity(app, deps.db, tokens, new AuthFailures(deps.authFailuresPerMinute ?? 20));
  await app.register(rateLimit, {
    max: limits.requestsPerMinute,
    timeWindow: 60_000,
    hook: 'preHandler',
    // After the token check, so a unit is limited as a unit wherever it calls from.
    keyGenerator: (req) => (req.identity ? `token:${req.identity.tokenId}` : `ip:${req.ip}`),
    errorResponseBuilder: () => Errors.rateLimited(),
  });
  await app.register(multipart, { limits: { fileSize: limits.fileBytes, files: 1, fields: 10, fieldSize: 1024, parts: 12 } });

  const uploadDir = deps.uploadDir;
  const runUpload: RunUpload = deps.runUpload ?? ((u) => ingestUpload(deps.db, u, { log, limits: deps.ingestLimits }));
  await app.register(batchRoutes, { db: deps.db, now, uploadDir, runUpload, fileBytes: limits.fileBytes, errorBudgets: deps.errorBudgets });
  await app.register(enterpriseRoutes, { db: deps.db, now });
  await app.register(evaluationRoutes, { db: deps.db, now });
  await app.register(adminRoutes, { db: deps.db, now, checkpointDir: deps.checkpointDir });
  await app.register(alertRoutes, { db: deps.db, now });
  await app.register(pageRoutes);
  registerOpsRoutes(app, { checks: { ...storeReadiness(deps.db), ...deps.readiness }, metricsSources: deps.metricsSources });
  return app;
}
