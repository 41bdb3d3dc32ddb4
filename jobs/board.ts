// A worker's small fastify server: /health, /ready and /metrics for operators' tooling (lib/ops-routes.ts),
// and Bull Board (in Chinese): /board shows the collection queues read-only to anyone who can reach
// the port; /admin/board (only when an admin token is configured) can retry, promote and remove jobs,
// behind HTTP Basic auth (user "admin", password the token), which a browser can send with every
// request of the board's single-page app.
import { timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { registerOpsRoutes, type OpsRouteOptions } from '../lib/ops-routes.ts';

function boardPlugin(queues: readonly Queue[], basePath: string, readOnlyMode: boolean) {
  const adapter = new FastifyAdapter();
  adapter.setBasePath(basePath);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode, allowRetries: !readOnlyMode })), serverAdapter: adapter,
    // Operators read Chinese; the board ships a zh-CN translation.
    options: { uiConfig: { boardTitle: '归集队列', locale: { lng: 'zh-CN' } } },
  });
  return adapter.registerPlugin();
}

function isAdmin(req: FastifyRequest, token: string): boolean {
  const [scheme, value] = (req.headers.authorization ?? '').split(' ');
  if (scheme !== 'Basic' || !value) return false;
  const given = Buffer.from(Buffer.from(value, 'base64').toString('utf8'));
  const wanted = Buffer.from(`admin:${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/**
 * The queues' depth (BullMQ's bullmq_job_count and totals) and this process's series go to /metrics;
 * ops.board false serves the operators' endpoints without the board.
 */
export async function buildBoard(queues: readonly Queue[], adminToken: string | undefined, ops: Partial<OpsRouteOptions> & { board?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  registerOpsRoutes(app, { checks: ops.checks ?? {}, metricsSources: ops.metricsSources ?? queues.map((q) => () => q.exportPrometheusMetrics()), checkTimeoutMs: ops.checkTimeoutMs });
  if (ops.board === false) return app;
  await app.register(boardPlugin(queues, '/board', true), { prefix: '/board' });
  if (adminToken) {
    await app.register(async (admin) => {
      admin.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
        if (!isAdmin(req, adminToken)) return reply.header('www-authenticate', 'Basic realm="credit-etl admin"').code(401).send({ error: 'admin only' });
      });
      await admin.register(boardPlugin(queues, '/admin/board', false), { prefix: '/admin/board' });
    });
  }
  app.get('/', async (_req, reply) => reply.redirect('/board'));
  return app;
}
