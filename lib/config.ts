// The one place that reads the environment. Everything else receives an AppConfig.
import path from 'node:path';

export interface AppConfig {
  /** PostgreSQL connection string; absent: the embedded PGlite store in dataDir. */
  readonly databaseUrl?: string;
  /** PostgreSQL schema the store lives in (tests give each run its own). */
  readonly dbSchema?: string;
  readonly redisUrl?: string;
  readonly dataDir: string;
  readonly logLevel: string;
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
  if (problems.length) throw new ConfigError(`Configuration problems:\n- ${problems.join('\n- ')}`);
  return {
    databaseUrl, dbSchema, logLevel,
    redisUrl: env.REDIS_URL || undefined,
    dataDir: path.resolve(env.CREDIT_ETL_DATA_DIR || 'data'),
  };
}
