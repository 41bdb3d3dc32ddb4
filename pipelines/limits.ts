// Limits on what one delivery may be, enforced while it streams (nothing is read into memory to
// check them), and on how much of the machine reading it may take. Configured through
// config/config.ts; each refusal or rejection names the limit.
import { availableParallelism } from 'node:os';
import { DEFAULT_MAX_RECORD_CHARS } from './stages/parse-csv.ts';

export interface IngestLimits {
  /** Bytes of the whole file; past it the batch is refused (R_FILE_TOO_LARGE) and nothing loads. */
  readonly maxFileBytes: number;
  /** Characters of one record (cells plus separators); a longer record is rejected (E_ROW_TOO_LONG). */
  readonly maxRecordChars: number;
  /** Columns of the header; more and the batch is refused (R_TOO_MANY_COLUMNS). */
  readonly maxColumns: number;
  /** Threads that parse and check one CSV file (ingest/worker-source.ts). */
  readonly parseThreads: number;
}

/**
 * A core for each parse thread once the main thread (stamp, encode, route) and the store's backend
 * (COPY, index probes) have theirs: on two cores one thread, which already keeps both busy
 * (bench/RESULTS.md); at most four, each costing about 50 MB.
 */
export const defaultParseThreads = (cores = availableParallelism()) => Math.min(4, Math.max(1, cores - 2));

export const DEFAULT_LIMITS: IngestLimits = {
  maxFileBytes: 2 * 1024 ** 3,
  maxRecordChars: DEFAULT_MAX_RECORD_CHARS,
  maxColumns: 500,
  parseThreads: defaultParseThreads(),
};

export class FileTooLargeError extends Error {
  readonly code = 'E_FILE_TOO_LARGE';
  constructor(readonly limitBytes: number) {
    super(`file exceeds ${limitBytes} bytes`);
  }
}
