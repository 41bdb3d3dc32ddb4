import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs to stderr, so stdout stays free for --json output and reports. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { app: 'credit-etl' }, redact: { paths: ['*.legal_rep_id_number', '*.password', '*.token'], censor: '[redacted]' } }, pino.destination(2));
}
