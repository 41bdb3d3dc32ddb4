// The operator's endpoints every long-running process serves (the service, each worker's board
// server): /health (the process is up), /ready (its dependencies answer; 503 with the failing ones
// otherwise) and /metrics (Prometheus text). They carry no token: expose the port to the scraper and
// the load balancer only.
import Fastify, { type FastifyInstance } from 'fastify';
import { METRICS_CONTENT_TYPE, renderMetrics, type MetricsSource } from './metrics.ts';

/** Resolves when the dependency is usable, throws (with a reason) when not. */
export type ReadinessCheck = () => Promise<void>;

export interface OpsRouteOptions {
  readonly checks: Readonly<Record<string, ReadinessCheck>>;
  readonly metricsSources?: readonly MetricsSource[];
  /** One check may take this long before it counts as failed (a stopped database may not answer at all). */
  readonly checkTimeoutMs?: number;
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([check(), new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs); })]);
    return null;
  } catch (e) {
    return (e as Error).message || String(e);
  } finally {
    clearTimeout(timer);
  }
}

export function registerOpsRoutes(app: FastifyInstance, opts: OpsRouteOptions): void {
  const timeoutMs = opts.checkTimeoutMs ?? 3000;
  const tags = ['operations'];
  const check = { type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' }, error: { type: 'string' } } };
  const readiness = { type: 'object', required: ['status', 'checks'], properties: { status: { type: 'string' }, checks: { type: 'object', additionalProperties: check } } };
  app.get('/health', {
    schema: { tags, summary: '进程存活 / the process is up (liveness)', security: [], response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } } },
  }, async () => ({ status: 'ok' }));
  app.get('/ready', {
    schema: {
      tags, summary: '依赖就绪：数据库、迁移、Redis / dependencies answer: database, migrations current, Redis (readiness)', security: [],
      response: { 200: { ...readiness, description: 'ready' }, 503: { ...readiness, description: 'not ready: the failing checks carry an error' } },
    },
  }, async (_req, reply) => {
    const names = Object.keys(opts.checks);
    const results = await Promise.all(names.map((n) => runCheck(opts.checks[n], timeoutMs)));
    const checks = Object.fromEntries(names.map((n, i) => [n, results[i] === null ? { ok: true } : { ok: false, error: results[i] }]));
    const ready = results.every((r) => r === null);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', {
    schema: {
      tags, summary: 'Prometheus 指标 / Prometheus metrics (docs/operations.md)', security: [],
      response: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  }, async (_req, reply) => {
    // A queue that cannot be read (Redis down) must not cost the process's own series.
    const sources = (opts.metricsSources ?? []).map((s) => () => s().catch(() => ''));
    return reply.header('content-type', METRICS_CONTENT_TYPE).send(await renderMetrics(sources));
  });
}

/** A server of the operator endpoints alone, for a process that serves nothing else (the alert worker). */
export function opsServer(opts: OpsRouteOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  registerOpsRoutes(app, opts);
  return app;
}
