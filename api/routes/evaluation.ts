// Analyst side of measure items 5 and 6: an enterprise's basic credit evaluation (public tier for
// any analyst, enriched tier under the enterprise's authorisation), its credit report in JSON, HTML
// or PDF, and the verification of a report by its number. Every read is in the access log.
import type { FastifyPluginAsync } from 'fastify';
import { CardError, DEFAULT_CARD, shippedCard } from '../../evaluation/card.ts';
import { adverseReasons, enrichedOnly, type Evaluation } from '../../evaluation/engine.ts';
import { evaluateForReader } from '../../evaluation/read.ts';
import { renderReportHtml } from '../../evaluation/render-html.ts';
import { renderReportPdf } from '../../evaluation/render-pdf.ts';
import { category } from '../../schemas/registry.ts';
import { appendAccess } from '../../store/access-log.ts';
import type { Db } from '../../store/db.ts';
import { issueReport, verifyReport, type ReportFormat } from '../credit-report.ts';
import { Errors } from '../errors.ts';
import { actorOf, identityOf, type Identity } from '../identity.ts';
import { errorResponses } from '../schemas.ts';

export interface EvaluationRouteOptions {
  readonly db: Db;
  readonly now: () => Date;
}

/** Analysts read under their institution's grants (its registry id), the platform's staff under the platform's. */
const institutionOf = (who: Identity) => (who.role === 'analyst' && who.institutionId ? { id: who.institutionId, name: who.unit } : null);
const usccParam = { type: 'object', required: ['uscc'], properties: { uscc: { type: 'string', pattern: '^[0-9A-Za-z]{18}$', description: '统一社会信用代码' } } } as const;
const cardQuery = { type: 'string', pattern: '^[a-z][a-z0-9-]{1,40}$', default: DEFAULT_CARD, description: '评分卡编号 / scoring card id' } as const;

function cardOf(id: string) {
  try {
    return shippedCard(id);
  } catch (e) {
    if (e instanceof CardError) throw Errors.badRequest(`未知或无效的评分卡：${id}`, `unknown or invalid card: ${id}`);
    throw e;
  }
}

const evaluationView = (e: Evaluation) => ({
  tier: e.tier, grade: e.grade, gradeLabelZh: e.gradeLabelZh, score: e.score, insufficientData: e.insufficientData, base: e.base,
  topAdverseReasons: adverseReasons(e), contributions: e.contributions, knockouts: e.knockouts, dimensions: e.dimensions,
  coverage: e.coverage, dataCutoff: e.dataCutoff, inputHash: e.inputHash,
});

const open = { type: 'object', additionalProperties: true } as const;
const evaluationResponse = {
  type: 'object',
  required: ['uscc', 'card', 'asOf', 'public'],
  properties: {
    uscc: { type: 'string' }, asOf: { type: 'string', format: 'date' },
    card: { type: 'object', properties: { id: { type: 'string' }, version: { type: 'string' } } },
    public: { ...open, description: '公共信用评价（行政许可、公示期内行政处罚、行政强制）/ public tier' },
    enriched: { ...open, nullable: true, description: '增强信用评价（经企业授权）/ enriched tier, under authorisation' },
    enrichedWithheld: { ...open, nullable: true },
  },
} as const;

export const evaluationRoutes: FastifyPluginAsync<EvaluationRouteOptions> = async (app, opts) => {
  const { db } = opts;

  app.get('/enterprises/:uscc/evaluation', {
    config: { roles: ['analyst', 'admin'] },
    schema: {
      tags: ['analyst'],
      summary: '企业基础信用评价（等级、得分、主要扣分原因及依据记录、覆盖情况、数据截止时间）/ basic credit evaluation',
      params: usccParam,
      querystring: { type: 'object', properties: { asOf: { type: 'string', format: 'date', description: '评价日期（默认今天）/ as-of date' }, card: cardQuery } },
      response: { 200: evaluationResponse, ...errorResponses(400, 401, 403, 429) },
    },
  }, async (req) => {
    const who = identityOf(req);
    const uscc = (req.params as { uscc: string }).uscc.toUpperCase();
    const q = req.query as { asOf?: string; card: string };
    const now = opts.now();
    const today = now.toISOString().slice(0, 10);
    const asOf = q.asOf ?? today;
    if (asOf > today) throw Errors.badRequest(`评价日期 ${asOf} 晚于今天`, `as-of date ${asOf} is in the future`);
    const card = cardOf(q.card);
    const r = await evaluateForReader(db, { card, uscc, asOf, now, institutionId: institutionOf(who)?.id ?? null });
    const missing = enrichedOnly(card).filter((c) => !r.granted.includes(c));
    const body = {
      uscc, card: { id: card.id, version: card.version }, asOf,
      public: evaluationView(r.public), enriched: r.enriched ? evaluationView(r.enriched) : null,
      enrichedWithheld: r.enriched ? null : {
        missingAuthorisation: missing,
        reasonZh: `增强信用评价需企业对本机构在效的${missing.map((c) => category(c).labelZh).join('、')}授权`,
        reasonEn: `the enriched evaluation needs the enterprise's authorisation in force for ${missing.join(', ')}`,
      },
    };
    await appendAccess(db, {
      at: now.toISOString(), requestId: req.id, actor: actorOf(who), action: 'evaluation.read', enterprises: [uscc],
      detail: {
        card: body.card, asOf, tiers: r.enriched ? ['public', 'enriched'] : ['public'],
        grades: { public: r.public.grade, enriched: r.enriched?.grade ?? null }, inputHashes: { public: r.public.inputHash, enriched: r.enriched?.inputHash ?? null },
      },
    });
    return body;
  });

  app.get('/enterprises/:uscc/report', {
    config: { roles: ['analyst', 'admin'] },
    schema: {
      tags: ['analyst'],
      summary: '企业信用报告（JSON / HTML / PDF），内容摘要记入访问日志 / credit report; its SHA-256 goes into the access log',
      params: usccParam,
      querystring: { type: 'object', properties: { format: { type: 'string', enum: ['json', 'html', 'pdf'], default: 'json' }, card: cardQuery } },
      response: {
        200: {
          description: '报告 / the report',
          content: {
            'application/json': { schema: { ...open, description: 'content + verification { reportNo, sha256 }' } },
            'text/html': { schema: { type: 'string' } },
            'application/pdf': { schema: { type: 'string', format: 'binary' } },
          },
        },
        ...errorResponses(400, 401, 403, 429),
      },
    },
  }, async (req, reply) => {
    const who = identityOf(req);
    const uscc = (req.params as { uscc: string }).uscc.toUpperCase();
    const q = req.query as { format: ReportFormat; card: string };
    const { content, sha256 } = await issueReport(db, {
      uscc, actor: actorOf(who), institution: institutionOf(who), requestId: req.id, now: opts.now(), card: cardOf(q.card), format: q.format,
    });
    const verifyUrl = `/reports/${content.reportNo}/verify?sha256=${sha256}`;
    reply.header('x-report-no', content.reportNo).header('x-report-sha256', sha256);
    if (q.format === 'pdf') {
      return reply.type('application/pdf').header('content-disposition', `attachment; filename="${content.reportNo}.pdf"`).send(await renderReportPdf(content, sha256, verifyUrl));
    }
    if (q.format === 'html') return reply.type('text/html; charset=utf-8').send(renderReportHtml(content, sha256, verifyUrl));
    return reply.type('application/json; charset=utf-8').send({ ...content, verification: { reportNo: content.reportNo, sha256, verifyUrl } });
  });

  app.get('/reports/:no/verify', {
    config: { roles: ['analyst', 'admin'] },
    schema: {
      tags: ['analyst'],
      summary: '核验信用报告是否真实、是否被改动 / tells whether a report is genuine and unaltered',
      params: { type: 'object', required: ['no'], properties: { no: { type: 'string', pattern: '^XYBG-[0-9]{8}-[0-9A-F]{10}$', description: '报告编号' } } },
      querystring: { type: 'object', properties: { sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: '所持报告的内容摘要（JSON 报告为其内容（不含 verification）的规范 JSON 的 SHA-256）' } } },
      response: {
        200: {
          type: 'object',
          properties: {
            reportNo: { type: 'string' }, genuine: { type: 'boolean' }, unaltered: { type: 'boolean', nullable: true }, reproducible: { type: 'boolean', nullable: true }, issuedAt: { type: 'string', nullable: true },
            enterprise: { type: 'string', nullable: true }, recordedSha256: { type: 'string', nullable: true }, messageZh: { type: 'string' }, messageEn: { type: 'string' },
          },
        },
        ...errorResponses(400, 401, 403, 429),
      },
    },
  }, async (req) => {
    const who = identityOf(req);
    const { no } = req.params as { no: string };
    const v = await verifyReport(db, no, (req.query as { sha256?: string }).sha256);
    await appendAccess(db, {
      at: opts.now().toISOString(), requestId: req.id, actor: actorOf(who), action: 'report.verify', enterprises: v.enterprise ? [v.enterprise] : [],
      detail: { reportNo: no, genuine: v.genuine, unaltered: v.unaltered, reproducible: v.reproducible },
    });
    return v;
  });
};
