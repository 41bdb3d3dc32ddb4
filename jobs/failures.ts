// Which failures are worth retrying. Errors are classified by their `code` and `retryable` fields,
// never by class: a connector's error class is not the one a queue hands back after a round trip
// through Redis, and connectors from different folders may each define their own classes.
import { UnrecoverableError } from 'bullmq';

export interface FailureInfo {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** A batch of the source was refused whole (e.g. a delivered file without required columns): a data error. */
export class BatchRefusedError extends Error {
  readonly code = 'E_BATCH_REFUSED';
  readonly retryable = false;
}

/** Another execution of the same source holds its lock; try again later. */
export class SourceBusyError extends Error {
  readonly code = 'E_SOURCE_BUSY';
  readonly retryable = true;
}

/**
 * An error that says `retryable: false` is terminal; one that says `true`, or says nothing (a
 * dropped connection, a database restart), is transient.
 */
export function describeFailure(e: unknown): FailureInfo {
  const { code, retryable, message, name } = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as Record<string, unknown>;
  return {
    code: typeof code === 'string' && code ? code : typeof name === 'string' && name ? name : 'Error',
    message: typeof message === 'string' ? message : String(e),
    retryable: retryable !== false,
  };
}

/** What the queue should see: terminal failures as UnrecoverableError, so BullMQ does not retry them. */
export function forQueue(f: FailureInfo): Error {
  const message = `${f.code}: ${f.message}`;
  return f.retryable ? Object.assign(new Error(message), { code: f.code }) : new UnrecoverableError(message);
}
