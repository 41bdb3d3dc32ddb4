// One uploaded file into the store. The payload is plain data (ids and a path), so the same function
// serves the in-process path of the upload route and a queue worker that picks the upload up later.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { ErrorBudget } from '../pipelines/error-budget.ts';
import { ingestFile, type IngestDeps } from './ingest-file.ts';
import type { IngestLimits } from '../pipelines/limits.ts';
import type { BatchReport } from '../pipelines/run-batch.ts';
import type { Encoding } from '../pipelines/stages/decode.ts';
import { findCategory, findProviderUnit, type CategoryId } from '../schemas/registry.ts';
import type { Db } from '../store/db.ts';

export interface StoredUpload {
  /** The file on disk; its folder belongs to the upload and is removed once the batch is done. */
  readonly file: string;
  /** The clerk's own file name, as the batch registry shows it. */
  readonly fileName: string;
  readonly category: CategoryId;
  /** The provider unit the uploading token belongs to: the batch's deliverer. */
  readonly providerId: string;
  readonly encoding: Encoding | 'auto';
  /** The worksheet of a workbook to read; default the first that is not hidden. */
  readonly sheet?: string;
  /** The batch this upload corrects, checked by the route (same unit and category). */
  readonly corrects?: string;
  /** The page's reference for the upload, under which its progress can be followed before the batch id is known. */
  readonly ref?: string;
  /** The error budget decided when the upload was received (the category's default from configuration). */
  readonly budget?: ErrorBudget;
}

export class UploadPayloadError extends Error {
  readonly code = 'E_UPLOAD_PAYLOAD';
  readonly retryable = false;
}

/** The upload could not be handed to the queue: nothing was accepted, the clerk uploads again (the service answers 503). */
export class UploadNotQueuedError extends Error {
  readonly code = 'E_QUEUE_UNAVAILABLE';
  readonly retryable = true;
}

/**
 * Turns a stored upload into a batch: in process (ingestUpload; the batch is final when it returns),
 * or handed to a queue (`queued`: the batch is registered as received and a worker runs it).
 */
export type RunUpload = (upload: StoredUpload) => Promise<Pick<BatchReport, 'batchId'> & { readonly queued?: boolean }>;

export interface UploadRunOptions {
  readonly limits?: IngestLimits;
  /** A queued upload's pre-registered batch (BatchLoad adopts its `received` row), and when it arrived. */
  readonly batchId?: string;
  readonly receivedAt?: string;
  /** A queued upload that may be retried keeps its file when the batch fails; the queue decides when it is final. */
  readonly keepOnFailure?: boolean;
}

export async function ingestUpload(db: Db, upload: StoredUpload, deps: IngestDeps & UploadRunOptions): Promise<BatchReport> {
  let finished = false;
  try {
    const category = findCategory(upload.category);
    const deliverer = findProviderUnit(upload.providerId);
    if (!category || !deliverer) {
      throw new UploadPayloadError(`上传任务的类别或报送单位无效 / upload names an unknown category or provider (${upload.category}, ${upload.providerId})`);
    }
    const report = await ingestFile(db, {
      file: upload.file, name: upload.fileName, category, deliverer, encoding: upload.encoding, limits: deps.limits, batchId: deps.batchId, receivedAt: deps.receivedAt,
      sheet: upload.sheet, corrects: upload.corrects, ...upload.budget, progress: { ref: upload.ref },
    }, deps);
    finished = report.status !== 'failed';
    return report;
  } finally {
    if (finished || !deps.keepOnFailure) await rm(path.dirname(upload.file), { recursive: true, force: true });
  }
}
