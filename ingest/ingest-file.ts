// The main job: one delivery into the store, as one batch. A delivery is a provider's CSV file
// (ingestFile) or the rows a connector fetched (ingestSource with rowsSource). The CLI, the upload
// API and queue workers all come through here.
import { randomUUID } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { failpoint } from '../lib/failpoints.ts';
import { boundHeapGrowth } from '../lib/heap.ts';
import type { Logger } from '../lib/logger.ts';
import { metrics } from '../lib/metrics.ts';
import type { KnownRows } from '../pipelines/known-rows.ts';
import { runBatch, type BatchReport, type Progress, type RecordSource } from '../pipelines/run-batch.ts';
import type { Encoding } from '../pipelines/stages/decode.ts';
import { DEFAULT_LIMITS, type IngestLimits } from '../pipelines/limits.ts';
import { isZip, xlsxSource } from '../pipelines/stages/read-xlsx.ts';
import type { CategorySpec, ProviderUnit } from '../schemas/registry.ts';
import { BatchLoad, type BatchMeta } from '../store/batch-load.ts';
import { progressWriter } from '../store/progress.ts';
import type { Db } from '../store/db.ts';
import { workerCsvSource, type WorkerRecordSource } from './worker-source.ts';

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
  /** The deliverer's whole current set: its records missing from it are withdrawn (BatchMeta.fullDelivery). */
  readonly fullDelivery?: boolean;
  readonly withdrawShare?: BatchMeta['withdrawShare'];
  /** Rows merged at a time (BatchMeta.mergeChunkRows). */
  readonly mergeChunkRows?: number;
  /** A header wider than this refuses the batch. */
  readonly maxColumns?: number;
  /** The batch this delivery corrects (checked by the caller: same unit and category). */
  readonly corrects?: string;
  /**
   * Check every row, also those the store holds unchanged (pipelines/known-rows.ts), which are
   * otherwise left out unchecked: after a change to how rows are checked that their schema does not show.
   */
  readonly checkEveryRow?: boolean;
  /** Rows and bytes read are written to batch_progress while the batch runs (uploads the page follows). */
  readonly progress?: { readonly ref?: string; readonly totalBytes?: number };
}

export interface IngestDeps {
  readonly log: Logger;
  readonly onProgress?: (p: Progress) => void;
}

function logOutcome(log: Logger, report: BatchReport): void {
  const { issues: _i, warnings: _w, batchId: _b, category: _c, ...summary } = report;
  (report.status === 'failed' ? log.error.bind(log) : log.info.bind(log))(summary, `batch ${report.status}`);
}

function countOutcome(report: BatchReport): void {
  const { category, status } = report;
  metrics.batches.inc({ category, status });
  const outcomes = { read: report.read, accepted: report.accepted, rejected: report.rejected, inserted: report.inserted, updated: report.updated, unchanged: report.unchanged, duplicate: report.duplicates };
  for (const [outcome, n] of Object.entries(outcomes)) if (n) metrics.rows.inc({ category, outcome }, n);
  const seconds = report.durationMs / 1000;
  metrics.batchDuration.observe({ category, status }, seconds);
  if (status === 'loaded' && report.read > 0 && seconds > 0) metrics.ingestRate.observe({ category }, report.read / seconds);
}

/**
 * A file's source, opened once the batch has looked for the rows it may leave out
 * (pipelines/known-rows.ts): the deliverer's records' fingerprints, read when the file is large enough.
 */
export interface SourceOpener {
  readonly bytes: number;
  open(known: KnownRows | null): RecordSource;
}

export async function ingestSource(db: Db, source: RecordSource | SourceOpener, opts: DeliveryOptions, deps: IngestDeps): Promise<BatchReport> {
  // Every delivery comes through here, whichever command or worker runs it: its peak RSS has a target.
  boundHeapGrowth();
  const batchId = opts.batchId ?? randomUUID();
  const log = deps.log.child({ batchId, category: opts.category.id, deliverer: opts.deliverer.name });
  const req = {
    batchId, category: opts.category, deliverer: opts.deliverer, fileName: opts.name, receivedAt: opts.receivedAt ?? new Date().toISOString(),
    maxRejectRatio: opts.maxRejectRatio, maxRejects: opts.maxRejects, maxColumns: opts.maxColumns, corrects: opts.corrects,
  } as const;
  log.info({ name: opts.name }, 'batch received');
  const sink = await BatchLoad.begin(db, {
    id: batchId, category: opts.category.id, fileName: opts.name, deliveredBy: opts.deliverer.name,
    schemaVersion: opts.category.version, receivedAt: req.receivedAt, maxRejectRatio: opts.maxRejectRatio, maxRejects: opts.maxRejects, corrects: opts.corrects, inTransaction: opts.inTransaction,
    fullDelivery: opts.fullDelivery, withdrawShare: opts.withdrawShare, mergeChunkRows: opts.mergeChunkRows,
  });
  let known: KnownRows | null = null;
  if ('open' in source && !opts.checkEveryRow) {
    try {
      known = await sink.knownRows(source.bytes);
    } catch (e) {
      await sink.fail(e as Error, {});
      throw e;
    }
  }
  const records = 'open' in source ? source.open(known) : source;
  const shown = opts.progress ? progressWriter(db, { batchId, deliveredBy: opts.deliverer.name, ...opts.progress }, log) : undefined;
  try {
    const report = await runBatch(records, req, {
      sink,
      ...(known ? { known } : {}),
      onProgress: (p) => {
        log.debug(p, 'progress');
        failpoint('ingest.progress');
        shown?.update(p);
        deps.onProgress?.(p);
      },
    });
    logOutcome(log, report);
    countOutcome(report);
    return report;
  } finally {
    await shown?.done();
  }
}

export interface IngestFileOptions extends Omit<DeliveryOptions, 'name'> {
  readonly file: string;
  readonly encoding?: Encoding | 'auto';
  /** The name the registry shows; default the file's base name (an upload keeps the clerk's file name). */
  readonly name?: string;
  readonly limits?: IngestLimits;
  /** The worksheet of an .xlsx file to read; default the first that is not hidden. */
  readonly sheet?: string;
}

/**
 * An .xlsx workbook (a ZIP container) whatever the file is called; anything else is read as CSV. A
 * file that cannot be opened is left to the CSV path, whose batch then fails and is recorded as such.
 */
async function isWorkbook(file: string): Promise<boolean> {
  const fh = await open(file).catch(() => undefined);
  if (!fh) return false;
  try {
    const head = new Uint8Array(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return bytesRead === 4 && isZip(head);
  } finally {
    await fh.close();
  }
}

/**
 * A file: decoded, parsed and checked on worker threads (ingest/worker-source.ts, limits.parseThreads)
 * while this thread stamps and loads the rows it already has, so the CPU work overlaps. A workbook is
 * read on this thread (exceljs's streaming reader; its shared strings would not fit the worker's heap cap).
 */
export async function ingestFile(db: Db, opts: IngestFileOptions, deps: IngestDeps): Promise<BatchReport> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const bytes = (await stat(opts.file).catch(() => undefined))?.size;
  let opened: WorkerRecordSource | undefined;
  const source: RecordSource | SourceOpener = await isWorkbook(opts.file)
    ? xlsxSource(opts.file, { sheet: opts.sheet, limits })
    : {
      bytes: bytes ?? 0,
      open: (known) => (opened = workerCsvSource(opts.file, opts.encoding ?? 'auto', limits, {
        category: opts.category.id, deliverer: opts.deliverer, ...(known ? { known: known.set.buffer } : {}),
      })),
    };
  try {
    const progress = opts.progress && { ...opts.progress, totalBytes: opts.progress.totalBytes ?? bytes };
    return await ingestSource(db, source, { ...opts, progress, name: opts.name ?? path.basename(opts.file), maxColumns: opts.limits?.maxColumns }, deps);
  } finally {
    await opened?.close();
  }
}
