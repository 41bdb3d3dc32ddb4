// Limits on what one delivery may be, enforced while it streams (nothing is read into memory to
// check them). Configured through config/config.ts; each refusal or rejection names the limit.
import { DEFAULT_MAX_RECORD_CHARS } from './stages/parse-csv.ts';

export interface IngestLimits {
  /** Bytes of the whole file; past it the batch is refused (R_FILE_TOO_LARGE) and nothing loads. */
  readonly maxFileBytes: number;
  /** Characters of one record (cells plus separators); a longer record is rejected (E_ROW_TOO_LONG). */
  readonly maxRecordChars: number;
  /** Columns of the header; more and the batch is refused (R_TOO_MANY_COLUMNS). */
  readonly maxColumns: number;
}

export const DEFAULT_LIMITS: IngestLimits = {
  maxFileBytes: 2 * 1024 ** 3,
  maxRecordChars: DEFAULT_MAX_RECORD_CHARS,
  maxColumns: 500,
};

export class FileTooLargeError extends Error {
  readonly code = 'E_FILE_TOO_LARGE';
  constructor(readonly limitBytes: number) {
    super(`file exceeds ${limitBytes} bytes`);
  }
}
