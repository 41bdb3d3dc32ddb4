// The main job: one provider file into the store, as one batch. Used by the CLI; the upload API
// and queue workers call the same function.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../lib/logger.ts';
import { runBatch, type BatchReport, type Progress } from '../pipelines/run-batch.ts';
import type { Encoding } from '../pipelines/stages/decode.ts';
import type { CategorySpec, ProviderUnit } from '../schemas/registry.ts';
import { BatchLoad } from '../store/batch-load.ts';
import type { Db } from '../store/db.ts';

export interface IngestFileOptions {
  readonly file: string;
  readonly category: CategorySpec;
  readonly deliverer: ProviderUnit;
  readonly encoding?: Encoding | 'auto';
  readonly maxRejectRatio?: number;
  readonly maxRejects?: number;
}

export async function ingestFile(db: Db, opts: IngestFileOptions, deps: { log: Logger; onProgress?: (p: Progress) => void }): Promise<BatchReport> {
  const batchId = randomUUID();
  const log = deps.log.child({ batchId, category: opts.category.id, deliverer: opts.deliverer.name });
  const req = {
    batchId, category: opts.category, deliverer: opts.deliverer, fileName: path.basename(opts.file),
    encoding: opts.encoding ?? 'auto', receivedAt: new Date().toISOString(),
    maxRejectRatio: opts.maxRejectRatio, maxRejects: opts.maxRejects,
  } as const;
  log.info({ file: opts.file }, 'batch received');
  const sink = await BatchLoad.begin(db, {
    id: batchId, category: opts.category.id, fileName: req.fileName, deliveredBy: opts.deliverer.name,
    schemaVersion: opts.category.version, receivedAt: req.receivedAt, maxRejectRatio: opts.maxRejectRatio, maxRejects: opts.maxRejects,
  });
  const report = await runBatch(createReadStream(opts.file, { highWaterMark: 256 * 1024 }), req, {
    sink,
    onProgress: (p) => {
      log.debug(p, 'progress');
      deps.onProgress?.(p);
    },
  });
  const { issues: _i, warnings: _w, batchId: _b, category: _c, ...summary } = report;
  (report.status === 'failed' ? log.error.bind(log) : log.info.bind(log))(summary, `batch ${report.status}`);
  return report;
}
