// Queue names, job payloads and job ids of the nightly collection and of queued uploads, in one
// place: producers, workers, the reconciler and Bull Board all take them from here, so a wrong
// payload fails to compile.
import type { StoredUpload } from '../ingest/upload.ts';

export const QUEUE = {
  /** One job per configured source in a run (a child of the run's flow). */
  collect: 'collect',
  /** The parent of a run's flow: writes the run report once every source has finished. */
  report: 'collect-report',
  /** Fired by the job schedulers: opens a run for the sources on that schedule. */
  trigger: 'collect-trigger',
  /** One uploaded file (POST /batches with Redis configured), registered as a `received` batch. */
  upload: 'ingest-upload',
  /** One attempt to deliver one alert to one webhook endpoint (jobs/alerts.ts). */
  alertDeliver: 'alert-deliver',
} as const;

export interface JobPayloads {
  [QUEUE.collect]: { readonly runId: string; readonly sourceId: string };
  [QUEUE.report]: { readonly runId: string };
  [QUEUE.trigger]: { readonly sourceIds: readonly string[] };
  /** The deliverer (upload.providerId) is the uploading token's unit, never a form field or the file. */
  [QUEUE.upload]: { readonly batchId: string; readonly receivedAt: string; readonly upload: StoredUpload };
  [QUEUE.alertDeliver]: { readonly deliveryId: number; readonly attempt: number };
}

/**
 * Job ids are derived from the run, so adding a run's jobs twice (a retried trigger, the
 * reconciler) adds nothing while the first ones still exist. BullMQ forbids ':' in custom ids.
 */
export const jobId = {
  collect: (runId: string, sourceId: string) => `${runId}.${sourceId}`,
  report: (runId: string) => `${runId}.report`,
  /** The batch id itself: enqueueing an upload twice adds one job. */
  upload: (batchId: string) => batchId,
  /** One job per attempt: re-adding a due attempt while its job exists adds nothing. */
  alertDeliver: (deliveryId: number, attempt: number) => `${deliveryId}.${attempt}`,
};

/** A source job's attempts in all: transient failures retry with exponential backoff. */
export const ATTEMPTS = 4;
