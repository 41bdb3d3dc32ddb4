// The main job: one delivery into the store, as one batch. A delivery is a provider's CSV file
// (ingestFile) or the rows a connector fetched (ingestSource with rowsSource). The CLI, the upload
// API and queue workers all come through here.
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import type { Logger } from '../lib/logger.ts';
import { runBatch, type BatchReport, type Progress, type RecordSource } from '../pipelines/run-batch.ts';
import type { Encoding } from '../pipelines/stages/decode.ts';
import { DEFAULT_LIMITS, type IngestLimits } from '../pipelines/limits.ts';
import type { CategorySpec, ProviderUnit } from '../schemas/registry.ts';
import { BatchLoad, type BatchMeta } from '../store/batch-load.ts';
import type { Db } from '../store/db.ts';
import type { ParseWorkerData, ToMain, ToWorker } from './parse-worker.ts';

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
    batchId, category: opts.category, deliverer: opts.deliverer, fileName: opts.name, receivedAt: new Date().toISOString(),
    maxRejectRatio: opts.maxRejectRatio, maxRejects: opts.maxRejects,
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
  /** When the delivery arrived (a queued upload: when it was registered); default now. */
  readonly receivedAt?: string;
}

/**
 * A file's decode-to-provenance stages run on a worker thread (jobs/parse-worker.ts) while this
 * thread streams the staged lines into the batch transaction, so parsing and COPY overlap.
 */
export async function ingestFile(db: Db, opts: IngestFileOptions, deps: IngestDeps): Promise<BatchReport> {
  const name = opts.name ?? path.basename(opts.file);
  const batchId = opts.batchId ?? randomUUID();
  const receivedAt = opts.receivedAt ?? new Date().toISOString();
  const log = deps.log.child({ batchId, category: opts.category.id, deliverer: opts.deliverer.name });
  log.info({ name, file: opts.file }, 'batch received');
  const load = await BatchLoad.begin(db, {
    id: batchId, category: opts.category.id, fileName: name, deliveredBy: opts.deliverer.name, schemaVersion: opts.category.version,
    receivedAt, maxRejectRatio: opts.maxRejectRatio, maxRejects: opts.maxRejects, inTransaction: opts.inTransaction,
  });
  const workerData: ParseWorkerData = {
    file: opts.file, encoding: opts.encoding ?? 'auto', batchId, category: opts.category.id, delivererId: opts.deliverer.id,
    fileName: name, receivedAt, maxRejectRatio: opts.maxRejectRatio, maxRejects: opts.maxRejects, limits: opts.limits ?? DEFAULT_LIMITS,
  };
  const worker = new Worker(new URL('./parse-worker.mjs', import.meta.url), { workerData });
  const report = await new Promise<BatchReport>((resolve, reject) => {
    let settled = false;
    let queue = Promise.resolve();
    // Messages are handled one at a time, in order: chunks before the commit that follows them.
    const handle = async (m: ToMain) => {
      switch (m.type) {
        case 'chunk':
          await load.writeLines(m.data);
          worker.postMessage({ type: 'ack' } satisfies ToWorker);
          return;
        case 'progress':
          log.debug({ bytes: m.bytes, rows: m.rows }, 'progress');
          deps.onProgress?.(m);
          return;
        case 'commit':
          try {
            worker.postMessage({ type: 'committed', counts: await load.commit(m.close) } satisfies ToWorker);
          } catch (e) {
            worker.postMessage({ type: 'commitFailed', message: (e as Error).message } satisfies ToWorker);
          }
          return;
        case 'fail':
          await load.fail(new Error(m.message), m.close);
          worker.postMessage({ type: 'failRecorded' } satisfies ToWorker);
          return;
        case 'done':
          settled = true;
          resolve(m.report);
      }
    };
    worker.on('message', (m: ToMain) => {
      queue = queue.then(() => handle(m)).catch((e) => {
        settled = true;
        void worker.terminate();
        reject(e);
      });
    });
    const died = (e: Error) => {
      if (settled) return;
      settled = true;
      queue.then(() => load.fail(e, {})).finally(() => reject(e));
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`parse worker exited with code ${code}`)));
  });
  await worker.terminate();
  logOutcome(log, report);
  return report;
}
