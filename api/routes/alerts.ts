// Post-loan monitoring for analysts: their institution's watchlist (/watches) and the pull feed of
// its alerts (/alerts?cursor=). The institution is always the token's (its registry id); one institution never
// sees another's watches or alerts. Watch changes and feed reads go to the access log.
import type { FastifyPluginAsync } from 'fastify';
import { EVENT_TYPES } from '../../alerts/classify.ts';
import { readListFile, watchesFromTable, watchFromCells, type WatchInput } from '../../alerts/watch-list.ts';
import { appendAccess } from '../../store/access-log.ts';
import { alertFeed } from '../../store/alerts.ts';
import type { Db } from '../../store/db.ts';
import { listWatches, setWatchStatus, upsertWatches, type Watch } from '../../store/watches.ts';
import { ApiError, Errors } from '../errors.ts';
import { actorOf, identityOf, type Identity } from '../identity.ts';
import { errorResponses } from '../schemas.ts';

export interface AlertRouteOptions {
  readonly db: Db;
  readonly now: () => Date;
}

const watchSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, subjectUscc: { type: 'string' }, eventTypes: { type: 'array', items: { type: 'string' } }, loanRef: { type: 'string', nullable: true },
    activeFrom: { type: 'string', nullable: true }, activeUntil: { type: 'string', nullable: true }, status: { type: 'string', enum: ['active', 'paused'] },
    createdAt: { type: 'string' }, updatedAt: { type: 'string' },
  },
} as const;
const watchList = { type: 'object', properties: { items: { type: 'array', items: watchSchema } } } as const;
const problemList = {
  type: 'object', properties: {
    code: { type: 'string' }, messageZh: { type: 'string' }, messageEn: { type: 'string' },
    problems: { type: 'array', items: { type: 'object', properties: { line: { type: 'integer' }, column: { type: 'string' }, value: { type: 'string' }, messageZh: { type: 'string' }, messageEn: { type: 'string' } } } },
  },
} as const;
const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;

const view = (w: Watch) => ({
  id: w.id, subjectUscc: w.subject_uscc, eventTypes: w.event_types, loanRef: w.loan_ref, activeFrom: w.active_from, activeUntil: w.active_until,
  status: w.status, createdAt: w.created_at, updatedAt: w.updated_at,
});

/** The analyst's institution in the registry; a token without one may not watch or read alerts. */
const institutionOf = (who: Identity) => {
  if (!who.institutionId) throw Errors.forbidden();
  return who.institutionId;
};

const listInvalid = (problems: readonly unknown[]) => ({
  code: 'E_WATCH_LIST_INVALID', messageZh: '监测名单有错误，未导入任何一行', messageEn: 'the watch list has errors; nothing was imported', problems: problems.slice(0, 200),
});

export const alertRoutes: FastifyPluginAsync<AlertRouteOptions> = async (app, opts) => {
  const { db } = opts;
  const log = (req: Parameters<typeof identityOf>[0], action: string, enterprises: readonly string[], detail: Record<string, unknown>) =>
    appendAccess(db, { at: opts.now().toISOString(), requestId: req.id, actor: actorOf(identityOf(req)), action, enterprises: [...new Set(enterprises)], detail });

  app.post('/watches', {
    config: { roles: ['analyst'] },
    schema: {
      tags: ['analyst'],
      summary: '监测一家企业（贷后预警）/ watch an enterprise for post-loan alerts',
      body: {
        type: 'object', required: ['subjectUscc'], additionalProperties: false,
        properties: {
          subjectUscc: { type: 'string', description: '统一社会信用代码' },
          eventTypes: { type: 'array', items: { type: 'string', enum: [...EVENT_TYPES] }, description: '空：全部类型 / empty: every type' },
          loanRef: { type: 'string', maxLength: 100 }, activeFrom: { type: 'string', format: 'date' }, activeUntil: { type: 'string', format: 'date' },
        },
      },
      response: { 201: watchSchema, 422: problemList, ...errorResponses(400, 401, 403, 429) },
    },
  }, async (req, reply) => {
    const who = identityOf(req);
    const b = req.body as { subjectUscc: string; eventTypes?: string[]; loanRef?: string; activeFrom?: string; activeUntil?: string };
    const cells: Record<string, string> = {
      subjectUscc: b.subjectUscc, eventTypes: (b.eventTypes ?? []).join(','), loanRef: b.loanRef ?? '', activeFrom: b.activeFrom ?? '', activeUntil: b.activeUntil ?? '',
    };
    const r = watchFromCells((c) => cells[c], 1, (c) => c);
    if (!r.watch) return reply.status(422).send({ code: 'E_WATCH_INVALID', messageZh: '监测项无效', messageEn: 'invalid watch', problems: r.problems });
    const [w] = await upsertWatches(db, institutionOf(who), [r.watch], actorOf(who).unit);
    await log(req, 'watch.add', [w.subject_uscc], { watchId: w.id, loanRef: w.loan_ref });
    return reply.status(201).send(view(w));
  });

  app.post('/watches/import', {
    config: { roles: ['analyst'] },
    validatorCompiler: () => (value: unknown) => ({ value }),
    schema: {
      tags: ['analyst'],
      summary: '导入借款企业名单（CSV 或 xlsx）/ import a borrower list (CSV or xlsx)',
      description: '列：统一社会信用代码（必填）、贷款编号、事件类型、起始日期、截止日期；有任何错误则整份不导入 / columns: 统一社会信用代码 (required), 贷款编号, 事件类型, 起始日期, 截止日期; any error imports nothing',
      consumes: ['multipart/form-data'],
      body: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } },
      response: { 200: { type: 'object', properties: { imported: { type: 'integer' } } }, 422: problemList, ...errorResponses(400, 401, 403, 413, 415, 429) },
    },
  }, async (req, reply) => {
    const who = identityOf(req);
    const part = await req.file();
    if (!part) throw Errors.noFile();
    let watches: WatchInput[];
    try {
      const table = watchesFromTable(await readListFile(part.filename, await part.toBuffer()));
      if (table.problems.length) return reply.status(422).send(listInvalid(table.problems));
      watches = table.watches;
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw Errors.badRequest(`无法读取名单文件：${(e as Error).message}`, `cannot read the list file: ${(e as Error).message}`);
    }
    const saved = await upsertWatches(db, institutionOf(who), watches, actorOf(who).unit);
    await log(req, 'watch.import', saved.map((w) => w.subject_uscc), { file: part.filename, imported: saved.length });
    return { imported: saved.length };
  });

  app.get('/watches', {
    config: { roles: ['analyst'] },
    schema: {
      tags: ['analyst'],
      summary: '本机构的监测名单 / your institution\'s watches',
      querystring: { type: 'object', properties: { uscc: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 }, offset: { type: 'integer', minimum: 0, default: 0 } } },
      response: { 200: watchList, ...errorResponses(400, 401, 403, 429) },
    },
  }, async (req) => {
    const q = req.query as { uscc?: string; limit: number; offset: number };
    return { items: (await listWatches(db, institutionOf(identityOf(req)), { uscc: q.uscc?.toUpperCase(), limit: q.limit, offset: q.offset })).map(view) };
  });

  for (const [action, status] of [['pause', 'paused'], ['resume', 'active']] as const) {
    app.post(`/watches/:id/${action}`, {
      config: { roles: ['analyst'] },
      schema: {
        tags: ['analyst'],
        summary: action === 'pause' ? '暂停监测 / pause a watch' : '恢复监测 / resume a watch',
        params: idParam,
        body: { type: 'object', nullable: true },
        response: { 200: watchSchema, ...errorResponses(400, 401, 403, 404, 429) },
      },
    }, async (req) => {
      const who = identityOf(req);
      const w = await setWatchStatus(db, institutionOf(who), (req.params as { id: string }).id, status);
      if (!w) throw Errors.notFound('watch of your institution', '本机构的该监测项');
      await log(req, `watch.${action}`, [w.subject_uscc], { watchId: w.id });
      return view(w);
    });
  }

  app.get('/alerts', {
    config: { roles: ['analyst'] },
    schema: {
      tags: ['analyst'],
      summary: '本机构的预警（拉取；按游标续读）/ your institution\'s alerts, pulled by cursor',
      description: '内容精简：详情请经 /enterprises/{uscc} 查询（记入访问日志）；非公开类别仅在企业授权有效时给出 / thin items: read details through /enterprises/{uscc} (logged); non-public categories only under an authorisation in force; nothing collected under a revoked or expired platform authorisation',
      querystring: { type: 'object', properties: { cursor: { type: 'integer', minimum: 0, default: 0 }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } } },
      response: {
        200: {
          type: 'object', properties: {
            items: { type: 'array', items: { type: 'object', additionalProperties: true } }, next: { type: 'integer' },
            withheld: { type: 'integer', description: '本页未给出的条数 / left out of this page' },
            withheldBy: {
              type: 'object', description: '按原因：unauthorised 企业对本机构的授权不在效；lapsed 记录依已撤销或到期的平台归集授权采集 / by reason: unauthorised, no authorisation to your institution in force; lapsed, the record was collected under a platform authorisation no longer in force',
              properties: { unauthorised: { type: 'integer' }, lapsed: { type: 'integer' } },
            },
          },
        },
        ...errorResponses(400, 401, 403, 429),
      },
    },
  }, async (req) => {
    const who = identityOf(req);
    const q = req.query as { cursor: number; limit: number };
    const feed = await alertFeed(db, institutionOf(who), q.cursor, q.limit, opts.now());
    if (feed.items.length || feed.withheld) await log(req, 'alerts.read', feed.items.map((i) => i.subjectUscc), {
      cursor: q.cursor, next: feed.next, returned: feed.items.length, withheld: feed.withheld, withheldBy: feed.withheldBy,
    });
    return feed;
  });
};
