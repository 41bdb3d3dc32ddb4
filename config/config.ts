// The one place that reads the environment. Everything else receives an AppConfig.
import path from 'node:path';
import { DEFAULT_LIMITS, type IngestLimits } from '../pipelines/limits.ts';
import { ERROR_BUDGET_ENV, parseErrorBudgets, type ErrorBudgets } from '../pipelines/error-budget.ts';

export interface AppConfig {
  /** PostgreSQL connection string; absent: the embedded PGlite store in dataDir. */
  readonly databaseUrl?: string;
  /** PostgreSQL schema the store lives in (tests give each run its own). */
  readonly dbSchema?: string;
  readonly redisUrl?: string;
  readonly dataDir: string;
  /** Where the service keeps uploads that wait in the queue (shared with the workers); default <dataDir>/uploads. */
  readonly uploadDir: string;
  readonly logLevel: string;
  readonly limits: IngestLimits;
  /** The access log's keys: configured (CREDIT_ETL_AUDIT_KEY, _OLD_KEYS), else a key file in the data folder. */
  readonly auditKeys: { readonly key?: string; readonly oldKeys?: readonly string[]; readonly keyFile: string };
  readonly audit: AuditConfig;
  /** What the service accepts, apart from what a delivery may be (limits). */
  readonly service: ServiceConfig;
  /** Default error budget per category (CREDIT_ETL_ERROR_BUDGET); none: a batch is never refused for its rejected rows. */
  readonly errorBudgets: ErrorBudgets;
}

export interface AuditConfig {
  /** Where signed checkpoints of the access log are written: outside the database, ideally on other storage. */
  readonly checkpointDir: string;
  /** How often `serve` writes one (when the log has grown). */
  readonly checkpointEveryMs: number;
  /** Also POSTed here when set. */
  readonly checkpointWebhook?: string;
}

export interface ServiceConfig {
  /** The largest upload the service takes: smaller than what `ingest` reads from disk. */
  readonly uploadBytes: number;
  /** Failed authentications from one address in a minute before it is refused for the rest of the minute. */
  readonly authFailuresPerMinute: number;
  /** Days that records collected under an authorisation are kept after it ended, unserved, before they are purged. */
  readonly revokedRetentionDays: number;
}

export class ConfigError extends Error {
  readonly code = 'E_CONFIG';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push(`DATABASE_URL must start with postgres:// (got ${databaseUrl.slice(0, 20)}…)`);
  const dbSchema = env.CREDIT_ETL_DB_SCHEMA || undefined;
  if (dbSchema && !/^[a-z_][a-z0-9_]{0,62}$/.test(dbSchema)) problems.push('CREDIT_ETL_DB_SCHEMA must be a lower-case SQL identifier');
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) problems.push(`LOG_LEVEL ${logLevel} is not a pino level`);
  const positive = (name: string, fallback: number, scale = 1): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!(n > 0) || !Number.isFinite(n)) problems.push(`${name} must be a positive number (got ${raw})`);
    return Math.floor(n * scale);
  };
  const limits: IngestLimits = {
    maxFileBytes: positive('CREDIT_ETL_MAX_FILE_MB', DEFAULT_LIMITS.maxFileBytes, 1024 * 1024),
    maxRecordChars: positive('CREDIT_ETL_MAX_RECORD_CHARS', DEFAULT_LIMITS.maxRecordChars),
    maxColumns: positive('CREDIT_ETL_MAX_COLUMNS', DEFAULT_LIMITS.maxColumns),
  };
  const service: ServiceConfig = {
    uploadBytes: positive('CREDIT_ETL_SERVICE_MAX_UPLOAD_MB', 200 * 1024 * 1024, 1024 * 1024),
    authFailuresPerMinute: positive('CREDIT_ETL_AUTH_FAILURES_PER_MINUTE', 20),
    revokedRetentionDays: positive('CREDIT_ETL_REVOKED_RETENTION_DAYS', 30),
  };
  const checkpointEveryMs = positive('CREDIT_ETL_AUDIT_CHECKPOINT_MS', 5 * 60_000);
  const checkpointWebhook = env.CREDIT_ETL_AUDIT_WEBHOOK || undefined;
  if (checkpointWebhook && !/^https?:\/\//.test(checkpointWebhook)) problems.push('CREDIT_ETL_AUDIT_WEBHOOK must be an http(s) URL');
  let errorBudgets: ErrorBudgets = {};
  try {
    errorBudgets = parseErrorBudgets(env[ERROR_BUDGET_ENV]);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (problems.length) throw new ConfigError(`Configuration problems:\n- ${problems.join('\n- ')}`);
  const dataDir = path.resolve(env.CREDIT_ETL_DATA_DIR || 'data');
  const auditDir = path.join(dataDir, 'audit');
  return {
    databaseUrl, dbSchema, logLevel, limits, dataDir, service, errorBudgets,
    auditKeys: { key: env.CREDIT_ETL_AUDIT_KEY || undefined, oldKeys: (env.CREDIT_ETL_AUDIT_OLD_KEYS ?? '').split(',').filter(Boolean), keyFile: path.join(auditDir, 'key') },
    audit: {
      checkpointDir: env.CREDIT_ETL_AUDIT_CHECKPOINT_DIR ? path.resolve(env.CREDIT_ETL_AUDIT_CHECKPOINT_DIR) : path.join(auditDir, 'checkpoints'),
      checkpointEveryMs, checkpointWebhook,
    },
    redisUrl: env.REDIS_URL || undefined,
    uploadDir: env.CREDIT_ETL_UPLOAD_DIR ? path.resolve(env.CREDIT_ETL_UPLOAD_DIR) : path.join(dataDir, 'uploads'),
  };
}

/** The collection jobs' settings (queues, workers, operators' board); the store's stay in AppConfig. */
export interface CollectionConfig {
  readonly redisUrl?: string;
  /** Key prefix of the collection queues in Redis (tests give each run its own). */
  readonly queuePrefix: string;
  /** How long a worker's lock on a job lasts; a killed worker's job is taken over after about this long. */
  readonly jobLockMs: number;
  /** First retry of a transient failure after this long, doubling for each later attempt. */
  readonly retryDelayMs: number;
  /** How often a worker runs the reconciler, and how old a run must be before it is reconciled. */
  readonly reconcileEveryMs: number;
  /** Bull Board for operators; it is writable only with the admin token (absent: read-only for all). */
  readonly boardPort: number;
  readonly boardAdminToken?: string;
  /** The sources file (connectors/sources.ts validates it); its ${NAME}s and secrets are read from `env`. */
  readonly sourcesFile?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function loadCollectionConfig(env: NodeJS.ProcessEnv = process.env): CollectionConfig {
  const problems: string[] = [];
  const queuePrefix = env.CREDIT_ETL_QUEUE_PREFIX || 'credit-etl';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(queuePrefix)) problems.push('CREDIT_ETL_QUEUE_PREFIX must be 1-64 letters, digits, _ . -');
  const jobLockMs = Number(env.CREDIT_ETL_JOB_LOCK_MS || 30_000);
  if (!(Number.isInteger(jobLockMs) && jobLockMs >= 1000)) problems.push('CREDIT_ETL_JOB_LOCK_MS must be a whole number of milliseconds >= 1000');
  const retryDelayMs = Number(env.CREDIT_ETL_RETRY_DELAY_MS || 30_000);
  if (!(Number.isInteger(retryDelayMs) && retryDelayMs >= 0)) problems.push('CREDIT_ETL_RETRY_DELAY_MS must be a whole number of milliseconds');
  const reconcileEveryMs = Number(env.CREDIT_ETL_RECONCILE_MS || 60_000);
  if (!(Number.isInteger(reconcileEveryMs) && reconcileEveryMs >= 500)) problems.push('CREDIT_ETL_RECONCILE_MS must be a whole number of milliseconds >= 500');
  const boardPort = Number(env.CREDIT_ETL_BOARD_PORT || 3100);
  if (!(Number.isInteger(boardPort) && boardPort >= 0 && boardPort < 65536)) problems.push('CREDIT_ETL_BOARD_PORT must be a port number (0: any free port)');
  if (problems.length) throw new ConfigError(`Configuration problems:\n- ${problems.join('\n- ')}`);
  return {
    redisUrl: env.REDIS_URL || undefined, queuePrefix, jobLockMs, retryDelayMs, reconcileEveryMs, boardPort, boardAdminToken: env.CREDIT_ETL_BOARD_ADMIN_TOKEN || undefined,
    sourcesFile: env.CREDIT_ETL_SOURCES ? path.resolve(env.CREDIT_ETL_SOURCES) : undefined, env,
  };
}

/** The alert worker's settings (jobs/alerts.ts); each has a default there. */
export interface AlertConfig {
  readonly concurrency?: number;
  readonly pollMs?: number;
  readonly expiringDays?: number;
  readonly scanEveryMs?: number;
  readonly timeoutMs?: number;
  readonly requeueMs?: number;
}

export function loadAlertConfig(env: NodeJS.ProcessEnv = process.env): AlertConfig {
  const problems: string[] = [];
  const whole = (name: string, min: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!(Number.isInteger(n) && n >= min)) problems.push(`${name} must be a whole number >= ${min} (got ${raw})`);
    return n;
  };
  const cfg = {
    concurrency: whole('CREDIT_ETL_ALERT_CONCURRENCY', 1), pollMs: whole('CREDIT_ETL_ALERT_POLL_MS', 50), expiringDays: whole('CREDIT_ETL_ALERT_EXPIRING_DAYS', 1),
    scanEveryMs: whole('CREDIT_ETL_ALERT_SCAN_MS', 1000), timeoutMs: whole('CREDIT_ETL_ALERT_TIMEOUT_MS', 1000),
    requeueMs: whole('CREDIT_ETL_ALERT_REQUEUE_MS', 500),
  };
  if (problems.length) throw new ConfigError(`Configuration problems:\n- ${problems.join('\n- ')}`);
  return cfg;
}
