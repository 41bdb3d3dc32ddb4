// Provider side: upload a CSV batch, follow its status, fetch the rejection report. The deliverer is
// always the unit of the uploading token; a provider sees only the batches its unit delivered.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { reportHeader, reportLine } from '../../pipelines/report.ts';
import { ENCODING_NAMES, parseEncodingOption } from '../../pipelines/stages/decode.ts';
import { category as categorySpec, CATEGORY_IDS, findCategory } from '../../schemas/registry.ts';
import type { Db } from '../../store/db.ts';
import { getBatch, listBatches, type BatchRow } from '../../store/queries.ts';
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
}

export function batchView(b: BatchRow) {
  return {
    id: b.id, category: b.category, categoryLabelZh: findCategory(b.category)?.labelZh, fileName: b.file_name, deliveredBy: b.delivered_by,
    status: b.status, encoding: b.encoding, sizeBytes: b.size_bytes, sha256: b.sha256, receivedAt: b.received_at, finishedAt: b.finished_at,
    counts: {
      read: b.read, accepted: b.accepted, rejected: b.rejected, inserted: b.inserted, updated: b.updated,
      unchanged: b.unchanged, duplicates: b.duplicates, warnings: b.warning_count,
    },
    refusal: b.refusal, error: b.error,
    links: { self: `/batches/${b.id}`, rejects: `/batches/${b.id}/rejects.csv` },
  };
}

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
      summary: '上传一个 CSV 批次 / upload a CSV batch',
      description: '报送单位由令牌确定，表单或文件中的报送单位不起作用 / the deliverer is the token\'s unit; a deliverer named in the form or the file changes nothing',
      consumes: ['multipart/form-data'],
      body: {
        type: 'object',
        required: ['category', 'file'],
        properties: {
          category: { type: 'string', description: `类别：${CATEGORY_IDS.map((c) => `${c}（${categorySpec(c).labelZh}）`).join('、')}` },
          encoding: { type: 'string', enum: ENCODING_NAMES, default: 'auto' },
          file: { type: 'string', format: 'binary', description: 'CSV（UTF-8 或 GBK）' },
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
      handedOver = true;
      const { batchId, queued } = await opts.runUpload({ file: file.path, fileName: file.name, category: spec.id, providerId: unit.id, encoding });
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
    const rows = await listBatches(db, limit, who.role === 'provider' ? who.provider!.name : undefined);
    return { items: rows.map(batchView) };
  });

  app.get('/batches/:id', {
    config: { roles: ['provider', 'admin'] },
    schema: {
      tags: ['provider'],
      summary: '批次状态与核对后的计数 / batch status and reconciled counts',
      params: uuidParam,
      response: { 200: { $ref: 'Batch#' }, ...errorResponses(400, 401, 403, 404, 429) },
    },
  }, async (req) => batchView(await visibleBatch(db, identityOf(req), (req.params as { id: string }).id)));

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
    async function* csv() {
      yield reportHeader(b.headers);
      for await (const r of rows) yield reportLine(b.headers.length, r.line, r.cells, r.issues);
    }
    const base = b.file_name.replace(/\.csv$/i, '');
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
