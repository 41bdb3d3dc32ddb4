// Provider side: upload a CSV batch, follow its status, fetch the rejection report. The deliverer is
// always the unit of the uploading token; a provider sees only the batches its unit delivered.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { budgetFor, type ErrorBudgets } from '../../pipelines/error-budget.ts';
import { reportHeader, reportLayout, reportLine } from '../../pipelines/report.ts';
import { writeXlsxReport, XLSX_MIME } from '../../pipelines/report-xlsx.ts';
import { ENCODING_NAMES, parseEncodingOption } from '../../pipelines/stages/decode.ts';
import { category as categorySpec, CATEGORY_IDS, findCategory } from '../../schemas/registry.ts';
import type { Db } from '../../store/db.ts';
import { findProgress, type BatchProgress } from '../../store/progress.ts';
import { getBatch, listBatches, openRejects, type BatchRow, type RejectStatus } from '../../store/queries.ts';
import { Errors } from '../errors.ts';
import { apiReader, readRejects } from '../governed.ts';
import { actorOf, identityOf, type Identity } from '../identity.ts';
import { removeBatch } from '../operations.ts';
import { errorResponses, uuidParam } from '../schemas.ts';
import type { RunUpload } from '../../ingest/upload.ts';

export interface BatchRouteOptions {
  readonly db: Db;
  readonly now: () => Date;
  readonly uploadDir: string;
  readonly runUpload: RunUpload;
  readonly fileBytes: number;
  /** Each category's default error budget; an upload over it is refused whole. */
  readonly errorBudgets?: ErrorBudgets;
}

export function batchView(b: BatchRow, extra: { progress?: BatchProgress; openRejects?: number } = {}) {
  return {
    id: b.id, category: b.category, categoryLabelZh: findCategory(b.category)?.labelZh, fileName: b.file_name, deliveredBy: b.delivered_by,
    status: b.status, encoding: b.encoding, sizeBytes: b.size_bytes, sha256: b.sha256, receivedAt: b.received_at, finishedAt: b.finished_at,
    counts: {
      read: b.read, accepted: b.accepted, rejected: b.rejected, inserted: b.inserted, updated: b.updated,
      unchanged: b.unchanged, duplicates: b.duplicates, warnings: b.warning_count,
    },
    refusal: b.refusal, error: b.error, warnings: b.warnings ?? [], corrects: b.corrects ?? null,
    ...(extra.openRejects === undefined ? {} : { openRejects: extra.openRejects }),
    progress: extra.progress ? { rows: extra.progress.rows, bytes: extra.progress.bytes, totalBytes: extra.progress.totalBytes } : null,
    links: {
      self: `/batches/${b.id}`, rejects: `/batches/${b.id}/rejects.csv`, rejectsXlsx: `/batches/${b.id}/rejects.xlsx`, rejectList: `/batches/${b.id}/rejects`,
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REF = /^[A-Za-z0-9_-]{8,64}$/;

const reportBase = (fileName: string) => fileName.replace(/\.(csv|xlsx)$/i, '');

/** The batch if the caller may see it; an unknown batch and another unit's batch get the same answer. */
async function visibleBatch(db: Db, who: Identity, id: string): Promise<BatchRow> {
  const b = await getBatch(db, id);
  if (!b || (who.role === 'provider' && b.delivered_by !== who.provider!.name)) throw Errors.batchNotFound();
  return b;
}

// The clerk's file name is only shown (the file itself is stored under a random name): keep its last
// path segment, drop control and bidirectional-override characters (which could make "x<U+202E>vsc.exe"
// display as "xexe.csv"), and cut it to 200 characters without splitting a surrogate pair.
const safeFileName = (name: string) => {
  const base = path.basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '');
  const cut = Array.from(base).slice(0, 200).join('');
  return cut === '' || cut === '.' || cut === '..' ? 'upload.csv' : cut;
};

/**
 * Streams the one file part to disk (the size limit applies while streaming) and collects the
 * category and encoding fields. Any other field, such as a deliverer, is ignored: the deliverer is
 * the token's unit.
 */
async function receiveUpload(req: FastifyRequest, dir: string, fileBytes: number) {
  let file: { path: string; name: string } | undefined;
  const fields: Record<string, string> = {};
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (file) throw Errors.badRequest('一次只能上传一个文件', 'one file per upload');
        const target = path.join(dir, `${randomBytes(8).toString('hex')}.csv`);
        await pipeline(part.file, createWriteStream(target));
        file = { path: target, name: safeFileName(part.filename) };
      } else if (typeof part.value === 'string') {
        fields[part.fieldname] = part.value;
      }
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw Errors.fileTooLarge(fileBytes);
    if (code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') throw Errors.badRequest('上传的表单项过多', 'too many form parts');
    throw e;
  }
  return { file, fields };
}

export const batchRoutes: FastifyPluginAsync<BatchRouteOptions> = async (app, opts) => {
  const { db } = opts;

  app.post('/batches', {
    config: { roles: ['provider'] },
    // The multipart body is read as a stream by the handler (file to disk, fields checked there);
    // the schema documents it for the OpenAPI document, and this compiler keeps fastify from
    // validating a body that is not parsed yet.
    validatorCompiler: () => (value: unknown) => ({ value }),
    schema: {
      tags: ['provider'],
      summary: '上传一个批次（CSV 或 .xlsx）/ upload a batch (CSV or .xlsx)',
      description: '报送单位由令牌确定，表单或文件中的报送单位不起作用 / the deliverer is the token\'s unit; a deliverer named in the form or the file changes nothing',
      consumes: ['multipart/form-data'],
      body: {
        type: 'object',
        required: ['category', 'file'],
        properties: {
          category: { type: 'string', description: `类别：${CATEGORY_IDS.map((c) => `${c}（${categorySpec(c).labelZh}）`).join('、')}` },
          encoding: { type: 'string', enum: ENCODING_NAMES, default: 'auto', description: 'CSV 的编码（.xlsx 不需要）' },
          sheet: { type: 'string', description: '.xlsx 的工作表名称，默认第一个可见的 / the worksheet of an .xlsx file, default the first that is not hidden' },
          corrects: { type: 'string', format: 'uuid', description: '本次上传更正的批次；上传修改后的错误报告时可不填，系统按「行号」列识别 / the batch this upload corrects; a corrected report is recognised by its 行号 column' },
          ref: { type: 'string', description: '页面生成的上传标识，处理中可用 GET /uploads/{ref}/progress 查询进度 / the page\'s reference for following progress while the upload is processed' },
          file: { type: 'string', format: 'binary', description: 'CSV（UTF-8 或 GBK）或 Excel 工作簿（.xlsx）' },
        },
      },
      response: {
        201: { $ref: 'Batch#' },
        202: {
          description: '已登记，排队处理（配置了 Redis 时）；用 links.self 查询状态 / registered and queued (with Redis configured); follow links.self',
          type: 'object', required: ['id', 'batchId', 'status'],
          properties: {
            id: { type: 'string', format: 'uuid' }, batchId: { type: 'string', format: 'uuid' }, status: { type: 'string', enum: ['received'] },
            links: { type: 'object', properties: { self: { type: 'string' }, rejects: { type: 'string' } } },
          },
        },
        ...errorResponses(400, 401, 403, 413, 415, 429, 503),
      },
    },
  }, async (req, reply) => {
    const who = identityOf(req);
    await mkdir(opts.uploadDir, { recursive: true });
    const dir = await mkdtemp(path.join(opts.uploadDir, 'upload-'));
    let handedOver = false;
    try {
      const { file, fields } = await receiveUpload(req, dir, opts.fileBytes);
      const spec = findCategory(fields.category ?? '');
      if (!spec) throw Errors.unknownCategory(fields.category ?? '');
      const unit = who.provider!;
      if (!unit.categories.includes(spec.id)) throw Errors.categoryNotDelivered(unit.name, spec.labelZh, spec.id);
      if (!file) throw Errors.noFile();
      let encoding;
      try {
        encoding = parseEncodingOption(fields.encoding || undefined);
      } catch (e) {
        throw Errors.unknownEncoding((e as Error).message);
      }
      const corrects = fields.corrects?.trim() || undefined;
      if (corrects !== undefined) {
        if (!UUID.test(corrects)) throw Errors.badRequest(`要更正的批次号「${corrects}」格式不对`, `corrects: "${corrects}" is not a batch id`);
        const original = await visibleBatch(db, who, corrects);
        if (original.category !== spec.id) {
          throw Errors.badRequest(`要更正的批次是${findCategory(original.category)?.labelZh ?? original.category}数据，与所选类别「${spec.labelZh}」不同`, `the batch to correct is ${original.category}, not ${spec.id}`);
        }
      }
      const ref = fields.ref?.trim() || undefined;
      if (ref !== undefined && !REF.test(ref)) throw Errors.badRequest('上传标识 ref 格式不对', 'ref must be 8-64 letters, digits, _ or -');
      const sheet = fields.sheet?.trim() || undefined;
      handedOver = true;
      const { batchId, queued } = await opts.runUpload({
        file: file.path, fileName: file.name, category: spec.id, providerId: unit.id, encoding, sheet, corrects, ref, budget: budgetFor(opts.errorBudgets, spec.id),
      });
      if (queued) return reply.status(202).send({ id: batchId, batchId, status: 'received', links: { self: `/batches/${batchId}`, rejects: `/batches/${batchId}/rejects.csv` } });
      const batch = await getBatch(db, batchId);
      return reply.status(201).send(batchView(batch!));
    } finally {
      if (!handedOver) await rm(dir, { recursive: true, force: true });
    }
  });

  app.get('/batches', {
    config: { roles: ['provider', 'admin'] },
    schema: {
      tags: ['provider'],
      summary: '本单位最近的批次（管理员：全部）/ your unit\'s latest batches (admin: all)',
      querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } } },
      response: { 200: { $ref: 'BatchList#' }, ...errorResponses(400, 401, 403, 429) },
    },
  }, async (req) => {
    const who = identityOf(req);
    const { limit } = req.query as { limit: number };
    const rows = await listBatches(db, limit, who.role === 'provider' ? who.provider!.name : undefined, { withOpen: true });
    return { items: rows.map((b) => batchView(b, { openRejects: b.open_rejects })) };
  });

  app.get('/batches/:id', {
    config: { roles: ['provider', 'admin'] },
    schema: {
      tags: ['provider'],
      summary: '批次状态与核对后的计数 / batch status and reconciled counts',
      params: uuidParam,
      response: { 200: { $ref: 'Batch#' }, ...errorResponses(400, 401, 403, 404, 429) },
    },
  }, async (req) => {
    const b = await visibleBatch(db, identityOf(req), (req.params as { id: string }).id);
    const progress = b.status === 'received' ? await findProgress(db, { batchId: b.id }) : undefined;
    return batchView(b, { progress, openRejects: b.rejected > 0 ? await openRejects(db, b.id) : 0 });
  });

  app.get('/uploads/:ref/progress', {
    config: { roles: ['provider'] },
    schema: {
      tags: ['provider'],
      summary: '按页面的上传标识查询处理进度 / progress of an upload by the page\'s reference',
      params: { type: 'object', required: ['ref'], properties: { ref: { type: 'string', pattern: REF.source } } },
      response: {
        200: { type: 'object', properties: { batchId: { type: ['string', 'null'] }, rows: { type: 'integer' }, bytes: { type: 'integer' }, totalBytes: { type: ['integer', 'null'] } } },
        ...errorResponses(400, 401, 403, 429),
      },
    },
  }, async (req) => {
    const who = identityOf(req);
    const p = await findProgress(db, { ref: (req.params as { ref: string }).ref }, who.provider!.name);
    return p ?? { batchId: null, rows: 0, bytes: 0, totalBytes: null };
  });

  app.get('/me', {
    config: { roles: ['provider'] },
    schema: {
      tags: ['provider'],
      summary: '令牌所属单位及其报送的类别 / the token\'s unit and the categories it delivers',
      response: {
        200: {
          type: 'object',
          properties: {
            unit: { type: 'string' },
            categories: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, labelZh: { type: 'string' }, sharing: { type: 'string' } } } },
          },
        },
        ...errorResponses(401, 403, 429),
      },
    },
  }, async (req) => {
    const unit = identityOf(req).provider!;
    return { unit: unit.name, categories: unit.categories.map((c) => ({ id: c, labelZh: categorySpec(c).labelZh, sharing: categorySpec(c).sharing })) };
  });

  app.get('/batches/:id/rejects', {
    config: { roles: ['provider', 'admin'] },
    schema: {
      tags: ['provider'],
      summary: '批次的错误行及更正状态 / a batch\'s rejected rows, open or resolved by a correction',
      params: uuidParam,
      querystring: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: ['open', 'resolved', 'all'], default: 'all' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
        },
      },
      response: { 200: { $ref: 'RejectList#' }, ...errorResponses(400, 401, 403, 404, 429) },
    },
  }, async (req) => {
    const who = identityOf(req);
    const b = await visibleBatch(db, who, (req.params as { id: string }).id);
    const { status, limit } = req.query as { status: RejectStatus | 'all'; limit: number };
    const items = [];
    const rows = await readRejects(db, apiReader(who, req), b, opts.now(), { status: status === 'all' ? undefined : status, pageSize: limit });
    for await (const r of rows) {
      items.push(r);
      if (items.length >= limit) break;
    }
    const total = status === 'all' ? b.rejected : status === 'open' ? await openRejects(db, b.id) : b.rejected - (await openRejects(db, b.id));
    return { batchId: b.id, total, items };
  });

  app.get('/batches/:id/rejects.xlsx', {
    config: { roles: ['provider', 'admin'] },
    schema: {
      tags: ['provider'],
      summary: '错误报告（Excel 工作簿）/ the rejection report as an Excel workbook',
      description: '「行号」「错误原因」在前，其后为原文件各列；单元格均为文本格式；第二个工作表解释每个错误代码。修改后可直接上传作为更正 / 行号 and 错误原因 first, then the file\'s columns, all text cells; a second sheet explains each code; upload it corrected as it is',
      params: uuidParam,
      querystring: { type: 'object', properties: { status: { type: 'string', enum: ['open', 'all'], default: 'all' } } },
      response: {
        200: { description: '错误报告 / the rejection report', content: { [XLSX_MIME]: { schema: { type: 'string', format: 'binary' } } } },
        ...errorResponses(400, 401, 403, 404, 429),
      },
    },
  }, async (req, reply) => {
    const who = identityOf(req);
    const b = await visibleBatch(db, who, (req.params as { id: string }).id);
    const { status } = req.query as { status: 'open' | 'all' };
    const rows = await readRejects(db, apiReader(who, req), b, opts.now(), { status: status === 'open' ? 'open' : undefined, format: 'xlsx' });
    const out = new PassThrough();
    writeXlsxReport(out, reportLayout(b.headers), rows).catch((err) => {
      req.log.error({ err, batchId: b.id }, 'rejection report failed');
      out.destroy(err);
    });
    return reply
      .header('content-type', XLSX_MIME)
      .header('content-disposition', `attachment; filename="rejects.xlsx"; filename*=UTF-8''${encodeURIComponent(`${reportBase(b.file_name)}-错误报告.xlsx`)}`)
      .send(out);
  });

  app.get('/batches/:id/rejects.csv', {
    config: { roles: ['provider', 'admin'] },
    schema: {
      tags: ['provider'],
      summary: '错误报告（可用 Excel 打开）/ the rejection report, Excel-friendly CSV',
      description: 'UTF-8 带 BOM；原文件表头 + 行号 + 错误原因 / UTF-8 with BOM: the file\'s headers, then 行号 and 错误原因',
      params: uuidParam,
      response: {
        200: { description: '错误报告 / the rejection report', content: { 'text/csv': { schema: { type: 'string' } } } },
        ...errorResponses(400, 401, 403, 404, 429),
      },
    },
  }, async (req, reply) => {
    const who = identityOf(req);
    const b = await visibleBatch(db, who, (req.params as { id: string }).id);
    const rows = await readRejects(db, apiReader(who, req), b, opts.now());
    const layout = reportLayout(b.headers);
    async function* csv() {
      yield reportHeader(layout);
      for await (const r of rows) yield reportLine(layout, r.line, r.cells, r.issues);
    }
    const base = reportBase(b.file_name);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="rejects.csv"; filename*=UTF-8''${encodeURIComponent(`${base}-错误报告.csv`)}`)
      .send(Readable.from(csv()));
  });

  app.delete('/batches/:id', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['admin'],
      summary: '删除一个未留下入库数据的批次 / delete a batch that left no records in the store',
      params: uuidParam,
      response: { 204: { type: 'null', description: 'deleted' }, ...errorResponses(400, 401, 403, 404, 409, 429) },
    },
  }, async (req, reply) => {
    const who = identityOf(req);
    await removeBatch(db, { actor: actorOf(who), requestId: req.id, now: opts.now() }, (req.params as { id: string }).id);
    return reply.status(204).send();
  });
};
