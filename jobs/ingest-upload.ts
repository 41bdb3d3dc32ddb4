// Queued uploads (POST /batches with Redis configured). The service registers the batch as
// `received` in a short transaction of its own and enqueues an `ingest-upload` job whose id is the
// batch id; a worker (`credit-etl worker`) runs it through the same ingestUpload as the in-process
// path, with the pre-assigned batch id, and the batch's transaction adopts the registered row.
import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Queue } from 'bullmq';
import { ingestUpload, UploadNotQueuedError, UploadPayloadError, type RunUpload, type UploadRunOptions } from '../ingest/upload.ts';
import { findCategory, findProviderUnit } from '../schemas/registry.ts';
import { markUnfinished, registerBatch } from '../store/batch-load.ts';
import { isSettled } from '../store/batch-status.ts';
import type { Db } from '../store/db.ts';
import { batchStatus } from '../store/received-uploads.ts';
import { describeFailure, forQueue, type FailureInfo } from './failures.ts';
import { retryOptions } from './enqueue.ts';
import type { IngestDeps } from '../ingest/ingest-file.ts';
import { jobId, QUEUE, type JobPayloads } from './queues.ts';

export type UploadPayload = JobPayloads[typeof QUEUE.upload];

export interface UploadQueue {
  readonly queue: Queue<UploadPayload>;
  /** First retry of a transient failure after this long, doubling (as for collection jobs). */
  readonly retryDelayMs: number;
}

const removeFolder = (file: string) => rm(path.dirname(file), { recursive: true, force: true });

/** The job id is the batch id, so an upload enqueued twice (by the service, then the reconciler) is one job. */
export function uploadJobOptions(batchId: string, retryDelayMs: number) {
  return { jobId: jobId.upload(batchId), ...retryOptions({ retryDelayMs }) };
}

/**
 * The service's RunUpload when Redis is configured: register, enqueue, answer. The upload's folder
 * must be one the workers read too (a durable upload directory, not the service's tmp).
 */
export function queuedRunUpload(db: Db, q: UploadQueue): RunUpload {
  return async (upload) => {
    const category = findCategory(upload.category);
    const deliverer = findProviderUnit(upload.providerId);
    if (!category || !deliverer) {
      await removeFolder(upload.file);
      throw new UploadPayloadError(`上传任务的类别或报送单位无效 / upload names an unknown category or provider (${upload.category}, ${upload.providerId})`);
    }
    const batchId = randomUUID();
    const receivedAt = new Date().toISOString();
    try {
      await registerBatch(db, {
        id: batchId, category: category.id, fileName: upload.fileName, deliveredBy: deliverer.name, schemaVersion: category.version,
        receivedAt, sizeBytes: (await stat(upload.file)).size, upload,
      });
    } catch (e) {
      await removeFolder(upload.file);
      throw e;
    }
    const data: UploadPayload = { batchId, receivedAt, upload };
    try {
      await q.queue.add(QUEUE.upload, data, uploadJobOptions(batchId, q.retryDelayMs));
    } catch (e) {
      await markUnfinished(db, batchId, 'failed', `E_QUEUE_UNAVAILABLE: not queued: ${(e as Error).message}`).catch(() => undefined);
      await removeFolder(upload.file);
      throw new UploadNotQueuedError(`not queued: ${(e as Error).message}`);
    }
    return { batchId, queued: true };
  };
}

export type QueuedUploadOutcome = { readonly batchId: string; readonly status: string; readonly skipped?: boolean };

/**
 * The worker's side. A refused batch is a final outcome, not a failure. A failed batch (an
 * infrastructure error) goes back to `received` and is retried while attempts remain, or becomes
 * `failed` for good; a payload error is not retried. The upload's folder is removed once the batch
 * has a final status.
 */
export async function runQueuedUpload(db: Db, data: UploadPayload, deps: IngestDeps & Pick<UploadRunOptions, 'limits'> & { readonly lastAttempt: boolean }): Promise<QueuedUploadOutcome> {
  const { batchId } = data;
  const status = await batchStatus(db, batchId);
  // Deleted by an admin while it waited, or finished by an earlier execution of this job.
  if (!status || isSettled(status)) {
    await removeFolder(data.upload.file);
    return { batchId, status: status ?? 'deleted', skipped: true };
  }
  let failure: FailureInfo;
  try {
    const report = await ingestUpload(db, data.upload, { ...deps, batchId, receivedAt: data.receivedAt, keepOnFailure: true });
    if (report.status !== 'failed') return { batchId, status: report.status };
    failure = { code: 'E_UPLOAD_FAILED', message: report.error ?? `batch ${batchId} failed`, retryable: true };
  } catch (e) {
    failure = describeFailure(e);
    if (failure.code === 'E_BATCH_NOT_PENDING') {
      // Another execution of the job committed the batch while this one waited for its row.
      await removeFolder(data.upload.file);
      return { batchId, status: 'finished', skipped: true };
    }
  }
  const error = `${failure.code}: ${failure.message}`;
  if (failure.retryable && !deps.lastAttempt) {
    await markUnfinished(db, batchId, 'received', error).catch((err) => deps.log.warn({ err, batchId }, 'could not mark the batch for retry'));
  } else {
    await markUnfinished(db, batchId, 'failed', error).catch((err) => deps.log.error({ err, batchId }, 'could not mark the batch failed'));
    await removeFolder(data.upload.file);
  }
  throw forQueue(failure);
}
