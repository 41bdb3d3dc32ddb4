// The main job: one delivery into the store, as one batch. A delivery is a provider's CSV file
// (ingestFile) or the rows a connector fetched (ingestSource with rowsSource). The CLI, the upload
// API and queue workers all come through here.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { failpoint } from '../lib/failpoints.ts';
import type { Logger } from '../lib/logger.ts';
import { runBatch, type BatchReport, type Progress, type RecordSource } from '../pipelines/run-batch.ts';
import type { Encoding } from '../pipelines/stages/decode.ts';
import { DEFAULT_LIMITS, type IngestLimits } from '../pipelines/limits.ts';
import type { CategorySpec, ProviderUnit } from '../schemas/registry.ts';
import { BatchLoad, type BatchMeta } from '../store/batch-load.ts';
import type { Db } from '../store/db.ts';
import { workerCsvSource } from './worker-source.ts';

export interface DeliveryOptions {
  readonly category: CategorySpec;
  readonly deliverer: ProviderUnit;
  /** What the registry calls the delivery: the file name, or connector and cursor range. */
  readonly name: string;
  readonly maxRejectRatio?: number;
  readonly maxRejects?: number;
  /** The batch's id, when the caller must name it in work that commits with the batch (a run ledger); default a new UUID. */
  readonly batchId?: string;
  /** Runs inside the batch's transaction just before it commits (e.g. saving a connector's cursor). */
  readonly inTransaction?: BatchMeta['inTransaction'];
  /** When the delivery arrived (a queued upload: when it was registered); default now. */
  readonly receivedAt?: string;
  /** A header wider than this refuses the batch. */
  readonly maxColumns?: number;
}

export interface IngestDeps {
  readonly log: Logger;
  readonly onProgress?: (p: Progress) => void;
}

function logOutcome(log: Logger, report: BatchReport): void {
  const { issues: _i, warnings: _w, batchId: _b, category: _c, ...summary } = report;
  (report.status === 'failed' ? log.error.bind(log) : log.info.bind(log))(summary, `batch ${report.status}`);
}

export async function ingestSource(db: Db, source: RecordSource, opts: DeliveryOptions, deps: IngestDeps): Promise<BatchReport> {
  const batchId = opts.batchId ?? randomUUID();
  const log = deps.log.child({ batchId, category: opts.category.id, deliverer: opts.deliverer.name });
  const req = {
    batchId, category: opts.category, deliverer: opts.deliverer, fileName: opts.name, receivedAt: opts.receivedAt ?? new Date().toISOString(),
    maxRejectRatio: opts.maxRejectRatio, maxRejects: opts.maxRejects, maxColumns: opts.maxColumns,
  } as const;
  log.info({ name: opts.name }, 'batch received');
  const sink = await BatchLoad.begin(db, {
    id: batchId, category: opts.category.id, fileName: opts.name, deliveredBy: opts.deliverer.name,
    schemaVersion: opts.category.version, receivedAt: req.receivedAt, maxRejectRatio: opts.maxRejectRatio, maxRejects: opts.maxRejects, inTransaction: opts.inTransaction,
  });
  const report = await runBatch(source, req, {
    sink,
    onProgress: (p) => {
      log.debug(p, 'progress');
      failpoint('ingest.progress');
      deps.onProgress?.(p);
    },
  });
  logOutcome(log, report);
  return report;
}

export interface IngestFileOptions extends Omit<DeliveryOptions, 'name'> {
  readonly file: string;
  readonly encoding?: Encoding | 'auto';
  /** The name the registry shows; default the file's base name (an upload keeps the clerk's file name). */
  readonly name?: string;
  readonly limits?: IngestLimits;
}

/**
 * A file: decoded, parsed and checked on a worker thread (ingest/worker-source.ts) while this thread
 * stamps and loads the rows it already has, so the two halves of the CPU work overlap.
 */
export async function ingestFile(db: Db, opts: IngestFileOptions, deps: IngestDeps): Promise<BatchReport> {
  const source = workerCsvSource(opts.file, opts.encoding ?? 'auto', opts.limits ?? DEFAULT_LIMITS, { category: opts.category.id, deliverer: opts.deliverer });
  try {
    return await ingestSource(db, source, { ...opts, name: opts.name ?? path.basename(opts.file), maxColumns: opts.limits?.maxColumns }, deps);
  } finally {
    await source.close();
  }
}
