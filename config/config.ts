// The one place that reads the environment. Every variable is declared once in ENV (a JSON Schema
// validated by env-schema); the loaders below turn it into the AppConfig and CollectionConfig the rest
// of the code receives, and `credit-etl --help` lists the same declarations.
import path from 'node:path';
import envSchema from 'env-schema';
import { DEFAULT_LIMITS, type IngestLimits } from '../pipelines/limits.ts';
import { ERROR_BUDGET_ENV, parseErrorBudgets, type ErrorBudgets } from '../pipelines/error-budget.ts';

interface EnvVar {
  readonly type: 'string' | 'number' | 'integer';
  readonly description: string;
  /** What a valid value looks like, for the error message. */
  readonly hint: string;
  readonly group: 'store' | 'service' | 'audit' | 'collection' | 'alerts' | 'limits' | 'tests';
  readonly pattern?: string;
  readonly enum?: readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
}

export const ENV = {
  DATABASE_URL: {
    type: 'string', group: 'store', pattern: '^postgres(ql)?://', hint: 'must be a postgres:// URL, e.g. postgres://user@127.0.0.1:5432/credit',
    description: 'PostgreSQL store; unset: the embedded PGlite store in $CREDIT_ETL_DATA_DIR/pglite (one process at a time)',
  },
  CREDIT_ETL_DB_SCHEMA: { type: 'string', group: 'store', pattern: '^[a-z_][a-z0-9_]{0,62}$', hint: 'must be a lower-case SQL identifier', description: 'PostgreSQL schema of the store (default public)' },
  CREDIT_ETL_DATA_DIR: { type: 'string', group: 'store', hint: 'a folder', description: 'folder of the embedded store (default ./data)' },
  LOG_LEVEL: {
    type: 'string', group: 'store', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], hint: 'must be a pino level: fatal, error, warn, info, debug, trace, silent',
    description: 'pino level; logs are JSON on stderr (pipe them through pino-pretty to read them)',
  },
  REDIS_URL: {
    type: 'string', group: 'collection', pattern: '^rediss?://', hint: 'must be a redis:// URL, e.g. redis://127.0.0.1:6379',
    description: 'Redis for the collection and upload queues (BullMQ); unset: `run` collects and `serve` ingests uploads in-process',
  },
  CREDIT_ETL_UPLOAD_DIR: { type: 'string', group: 'service', hint: 'a folder', description: 'with REDIS_URL: where `serve` keeps uploads until a worker loads them (shared with the workers; default $CREDIT_ETL_DATA_DIR/uploads)' },
  CREDIT_ETL_SOURCES: { type: 'string', group: 'collection', hint: 'a file', description: 'the sources file of the collection (e.g. connectors/sources.demo.json)' },
  CREDIT_ETL_QUEUE_PREFIX: { type: 'string', group: 'collection', pattern: '^[A-Za-z0-9_.-]{1,64}$', hint: 'must be 1-64 letters, digits, _ . -', description: 'Redis key prefix of the queues (default credit-etl)' },
  CREDIT_ETL_BOARD_PORT: { type: 'integer', group: 'collection', minimum: 0, maximum: 65535, hint: 'must be a port number (0: any free port)', description: "a worker's port for Bull Board, /metrics, /health and /ready (default 3100)" },
  CREDIT_ETL_BOARD_ADMIN_TOKEN: { type: 'string', group: 'collection', hint: 'a secret', description: 'password (user admin) of the writable board at /admin/board; unset: read-only board only' },
  CREDIT_ETL_JOB_LOCK_MS: { type: 'integer', group: 'collection', minimum: 1000, hint: 'must be a whole number of milliseconds >= 1000', description: "a worker's lock on a job; a dead worker's job is taken over after about this long (default 30000)" },
  CREDIT_ETL_RETRY_DELAY_MS: { type: 'integer', group: 'collection', minimum: 0, hint: 'must be a whole number of milliseconds', description: 'first retry of a transient failure, doubling (default 30000)' },
  CREDIT_ETL_RECONCILE_MS: { type: 'integer', group: 'collection', minimum: 500, hint: 'must be a whole number of milliseconds >= 500', description: 'how often a worker re-enqueues work Redis lost (default 60000)' },
  CREDIT_ETL_SERVICE_MAX_UPLOAD_MB: { type: 'number', group: 'service', exclusiveMinimum: 0, hint: 'must be a positive number', description: 'largest upload the service takes (default 200)' },
  CREDIT_ETL_AUTH_FAILURES_PER_MINUTE: { type: 'integer', group: 'service', exclusiveMinimum: 0, hint: 'must be a positive whole number', description: 'failed authentications from one address in a minute before it is refused (default 20)' },
  CREDIT_ETL_REVOKED_RETENTION_DAYS: { type: 'integer', group: 'service', exclusiveMinimum: 0, hint: 'must be a positive whole number', description: 'days records collected under an ended authorisation are kept, unserved, before they are purged (default 30)' },
  CREDIT_ETL_AUDIT_KEY: { type: 'string', group: 'audit', hint: 'a secret', description: "the access log's HMAC key; unset: a key file in $CREDIT_ETL_DATA_DIR/audit (every process writing the log needs the same key)" },
  CREDIT_ETL_AUDIT_OLD_KEYS: { type: 'string', group: 'audit', hint: 'a comma list', description: 'earlier keys, comma-separated, for verifying entries written before a key change' },
  CREDIT_ETL_AUDIT_CHECKPOINT_DIR: { type: 'string', group: 'audit', hint: 'a folder', description: "where signed checkpoints of the access log are written (default $CREDIT_ETL_DATA_DIR/audit/checkpoints; ideally other storage)" },
  CREDIT_ETL_AUDIT_CHECKPOINT_MS: { type: 'integer', group: 'audit', exclusiveMinimum: 0, hint: 'must be a positive whole number of milliseconds', description: '`serve` writes a checkpoint this often when the log has grown (default 300000)' },
  CREDIT_ETL_AUDIT_WEBHOOK: { type: 'string', group: 'audit', pattern: '^https?://', hint: 'must be an http(s) URL', description: 'checkpoints are also POSTed here' },
  CREDIT_ETL_ERROR_BUDGET: {
    type: 'string', group: 'limits', hint: 'must be category=ratio[:count] entries, e.g. *=0.5,penalty=0.2,water=0.1:500',
    description: 'default reject budget per category when the caller gives none: category=ratio[:count], * for the rest (e.g. *=0.5,penalty=0.2)',
  },
  CREDIT_ETL_ALERT_PORT: { type: 'integer', group: 'alerts', minimum: 0, maximum: 65535, hint: 'must be a port number (0: any free port)', description: "the alert worker's port for /metrics, /health and /ready (default 3101)" },
  CREDIT_ETL_ALERT_CONCURRENCY: { type: 'integer', group: 'alerts', minimum: 1, hint: 'must be a whole number >= 1', description: 'alert deliveries in flight per worker (default 8)' },
  CREDIT_ETL_ALERT_POLL_MS: { type: 'integer', group: 'alerts', minimum: 50, hint: 'must be a whole number >= 50', description: 'how often the alert worker looks for new events (default 500)' },
  CREDIT_ETL_ALERT_EXPIRING_DAYS: { type: 'integer', group: 'alerts', minimum: 1, hint: 'must be a whole number >= 1', description: 'licence.expiring fires this many days ahead (default 30)' },
  CREDIT_ETL_ALERT_SCAN_MS: { type: 'integer', group: 'alerts', minimum: 1000, hint: 'must be a whole number >= 1000', description: 'how often the clock-driven events are scanned (default hourly)' },
  CREDIT_ETL_ALERT_TIMEOUT_MS: { type: 'integer', group: 'alerts', minimum: 1000, hint: 'must be a whole number >= 1000', description: 'one webhook request may take this long (default 15000)' },
  CREDIT_ETL_ALERT_REQUEUE_MS: { type: 'integer', group: 'alerts', minimum: 500, hint: 'must be a whole number >= 500', description: 'how often due delivery attempts are claimed and queued (default 60000)' },
  CREDIT_ETL_MAX_FILE_MB: { type: 'number', group: 'limits', exclusiveMinimum: 0, hint: 'must be a positive number', description: 'largest file a delivery may be (default 2048)' },
  CREDIT_ETL_MAX_RECORD_CHARS: { type: 'integer', group: 'limits', exclusiveMinimum: 0, hint: 'must be a positive whole number', description: 'longest record, in characters (default 1000000)' },
  CREDIT_ETL_MAX_COLUMNS: { type: 'integer', group: 'limits', exclusiveMinimum: 0, hint: 'must be a positive whole number', description: 'widest header (default 500)' },
  CREDIT_ETL_PARSE_THREADS: { type: 'integer', group: 'limits', minimum: 1, maximum: 16, hint: 'must be a whole number from 1 to 16', description: 'threads that parse and check one CSV file (default: the cores less two, 1 to 4)' },
  CREDIT_ETL_FAILPOINTS: { type: 'string', group: 'tests', hint: 'a comma list', description: 'tests only: failpoint names at which the process kills itself (docs/reliability.md); unset in production' },
} as const satisfies Record<string, EnvVar>;

export type EnvName = keyof typeof ENV;

export class ConfigError extends Error {
  readonly code = 'E_CONFIG';
}

/**
 * The named variables, validated (numbers coerced). An empty variable counts as unset. Every problem
 * is reported at once, one line each: the variable, what it must be, and what it is.
 */
function readEnv(env: NodeJS.ProcessEnv, names: readonly EnvName[]): Partial<Record<EnvName, string | number>> {
  const data: Record<string, string> = {};
  for (const n of names) if (env[n] !== undefined && env[n] !== '') data[n] = env[n]!;
  const properties = Object.fromEntries(names.map((n) => {
    const { group: _g, hint: _h, ...schema } = ENV[n] as EnvVar;
    return [n, schema];
  }));
  try {
    return envSchema({ schema: { type: 'object', properties }, data, env: false, dotenv: false }) as Partial<Record<EnvName, string | number>>;
  } catch (e) {
    const errors = (e as { errors?: { instancePath: string }[] }).errors;
    if (!errors) throw e;
    const bad = [...new Set(errors.map((x) => x.instancePath.slice(1) as EnvName))];
    const shown = (v: string) => (v.length > 24 ? `${v.slice(0, 24)}…` : v);
    throw new ConfigError(`配置错误 / configuration problems:\n${bad.map((n) => `- ${n} ${ENV[n].hint} (got "${shown(data[n])}")`).join('\n')}`);
  }
}

const STORE_VARS: readonly EnvName[] = ['DATABASE_URL', 'CREDIT_ETL_DB_SCHEMA', 'CREDIT_ETL_DATA_DIR', 'LOG_LEVEL', 'REDIS_URL', 'CREDIT_ETL_UPLOAD_DIR',
  'CREDIT_ETL_MAX_FILE_MB', 'CREDIT_ETL_MAX_RECORD_CHARS', 'CREDIT_ETL_MAX_COLUMNS', 'CREDIT_ETL_PARSE_THREADS', 'CREDIT_ETL_SERVICE_MAX_UPLOAD_MB', 'CREDIT_ETL_AUTH_FAILURES_PER_MINUTE',
  'CREDIT_ETL_REVOKED_RETENTION_DAYS', 'CREDIT_ETL_AUDIT_KEY', 'CREDIT_ETL_AUDIT_OLD_KEYS', 'CREDIT_ETL_AUDIT_CHECKPOINT_DIR', 'CREDIT_ETL_AUDIT_CHECKPOINT_MS',
  'CREDIT_ETL_AUDIT_WEBHOOK', 'CREDIT_ETL_ERROR_BUDGET'];

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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const v = readEnv(env, STORE_VARS);
  const dataDir = path.resolve((v.CREDIT_ETL_DATA_DIR as string | undefined) ?? 'data');
  const auditDir = path.join(dataDir, 'audit');
  let errorBudgets: ErrorBudgets;
  try {
    errorBudgets = parseErrorBudgets(v[ERROR_BUDGET_ENV as EnvName] as string | undefined);
  } catch (e) {
    throw new ConfigError(`配置错误 / configuration problems:\n- ${(e as Error).message}`);
  }
  return {
    errorBudgets,
    databaseUrl: v.DATABASE_URL as string | undefined,
    dbSchema: v.CREDIT_ETL_DB_SCHEMA as string | undefined,
    logLevel: (v.LOG_LEVEL as string | undefined) ?? 'info',
    limits: {
      maxFileBytes: v.CREDIT_ETL_MAX_FILE_MB === undefined ? DEFAULT_LIMITS.maxFileBytes : Math.floor((v.CREDIT_ETL_MAX_FILE_MB as number) * 1024 * 1024),
      maxRecordChars: (v.CREDIT_ETL_MAX_RECORD_CHARS as number | undefined) ?? DEFAULT_LIMITS.maxRecordChars,
      maxColumns: (v.CREDIT_ETL_MAX_COLUMNS as number | undefined) ?? DEFAULT_LIMITS.maxColumns,
      parseThreads: (v.CREDIT_ETL_PARSE_THREADS as number | undefined) ?? DEFAULT_LIMITS.parseThreads,
    },
    dataDir,
    redisUrl: v.REDIS_URL as string | undefined,
    uploadDir: v.CREDIT_ETL_UPLOAD_DIR ? path.resolve(v.CREDIT_ETL_UPLOAD_DIR as string) : path.join(dataDir, 'uploads'),
    service: {
      uploadBytes: Math.floor(((v.CREDIT_ETL_SERVICE_MAX_UPLOAD_MB as number | undefined) ?? 200) * 1024 * 1024),
      authFailuresPerMinute: (v.CREDIT_ETL_AUTH_FAILURES_PER_MINUTE as number | undefined) ?? 20,
      revokedRetentionDays: (v.CREDIT_ETL_REVOKED_RETENTION_DAYS as number | undefined) ?? 30,
    },
    auditKeys: {
      key: v.CREDIT_ETL_AUDIT_KEY as string | undefined,
      oldKeys: ((v.CREDIT_ETL_AUDIT_OLD_KEYS as string | undefined) ?? '').split(',').filter(Boolean),
      keyFile: path.join(auditDir, 'key'),
    },
    audit: {
      checkpointDir: v.CREDIT_ETL_AUDIT_CHECKPOINT_DIR ? path.resolve(v.CREDIT_ETL_AUDIT_CHECKPOINT_DIR as string) : path.join(auditDir, 'checkpoints'),
      checkpointEveryMs: (v.CREDIT_ETL_AUDIT_CHECKPOINT_MS as number | undefined) ?? 5 * 60_000,
      checkpointWebhook: v.CREDIT_ETL_AUDIT_WEBHOOK as string | undefined,
    },
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

const COLLECTION_VARS: readonly EnvName[] = ['REDIS_URL', 'CREDIT_ETL_QUEUE_PREFIX', 'CREDIT_ETL_JOB_LOCK_MS', 'CREDIT_ETL_RETRY_DELAY_MS', 'CREDIT_ETL_RECONCILE_MS',
  'CREDIT_ETL_BOARD_PORT', 'CREDIT_ETL_BOARD_ADMIN_TOKEN', 'CREDIT_ETL_SOURCES'];

export function loadCollectionConfig(env: NodeJS.ProcessEnv = process.env): CollectionConfig {
  const v = readEnv(env, COLLECTION_VARS);
  return {
    redisUrl: v.REDIS_URL as string | undefined,
    queuePrefix: (v.CREDIT_ETL_QUEUE_PREFIX as string | undefined) ?? 'credit-etl',
    jobLockMs: (v.CREDIT_ETL_JOB_LOCK_MS as number | undefined) ?? 30_000,
    retryDelayMs: (v.CREDIT_ETL_RETRY_DELAY_MS as number | undefined) ?? 30_000,
    reconcileEveryMs: (v.CREDIT_ETL_RECONCILE_MS as number | undefined) ?? 60_000,
    boardPort: (v.CREDIT_ETL_BOARD_PORT as number | undefined) ?? 3100,
    boardAdminToken: v.CREDIT_ETL_BOARD_ADMIN_TOKEN as string | undefined,
    sourcesFile: v.CREDIT_ETL_SOURCES ? path.resolve(v.CREDIT_ETL_SOURCES as string) : undefined,
    env,
  };
}

/** The alert worker's settings (jobs/alerts.ts); each has a default there. */
export interface AlertConfig {
  /** The alert worker's operator endpoints (/metrics, /health, /ready). */
  readonly port: number;
  readonly concurrency?: number;
  readonly pollMs?: number;
  readonly expiringDays?: number;
  readonly scanEveryMs?: number;
  readonly timeoutMs?: number;
  readonly requeueMs?: number;
}

const ALERT_VARS: readonly EnvName[] = ['CREDIT_ETL_ALERT_PORT', 'CREDIT_ETL_ALERT_CONCURRENCY', 'CREDIT_ETL_ALERT_POLL_MS', 'CREDIT_ETL_ALERT_EXPIRING_DAYS', 'CREDIT_ETL_ALERT_SCAN_MS',
  'CREDIT_ETL_ALERT_TIMEOUT_MS', 'CREDIT_ETL_ALERT_REQUEUE_MS'];

export function loadAlertConfig(env: NodeJS.ProcessEnv = process.env): AlertConfig {
  const v = readEnv(env, ALERT_VARS) as Partial<Record<EnvName, number>>;
  return {
    concurrency: v.CREDIT_ETL_ALERT_CONCURRENCY, pollMs: v.CREDIT_ETL_ALERT_POLL_MS, expiringDays: v.CREDIT_ETL_ALERT_EXPIRING_DAYS,
    scanEveryMs: v.CREDIT_ETL_ALERT_SCAN_MS, timeoutMs: v.CREDIT_ETL_ALERT_TIMEOUT_MS, requeueMs: v.CREDIT_ETL_ALERT_REQUEUE_MS,
    port: v.CREDIT_ETL_ALERT_PORT ?? 3101,
  };
}
