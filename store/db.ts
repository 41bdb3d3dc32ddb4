// Opens the store: PostgreSQL when DATABASE_URL is set, else the embedded PGlite in a local folder.
// Both are driven through knex; inside store/ the few places where they differ (bulk copy, result types)
// ask `kind`; code outside the store asks for the capability it cares about (oneConnection, label).
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { AppConfig } from '../config/config.ts';
import { loadAuditKeyring, type AuditKeyring, type AuditKeySource } from './audit-keys.ts';

export type DbKind = 'pg' | 'pglite';

export interface Db {
  readonly knex: Knex;
  readonly kind: DbKind;
  /** Where the store lives, for messages: a redacted URL or the PGlite folder. */
  readonly location: string;
  /** The keys of the access log's chain (held outside the database; store/audit-keys.ts). */
  readonly audit: AuditKeyring;
  /** What the store is, for messages: "PostgreSQL" or "embedded PGlite". */
  readonly label: string;
  /**
   * The store has a single connection (embedded PGlite): while a batch's transaction is open nothing
   * else can read it, and only one process may use it.
   */
  readonly oneConnection: boolean;
  close(): Promise<void>;
}

export class StoreLockedError extends Error {
  readonly code = 'E_STORE_LOCKED';
}

// Dates stay 'YYYY-MM-DD' strings (a Date would shift by the local offset); counts become numbers.
pg.types.setTypeParser(1082, (s: string) => s);
pg.types.setTypeParser(20, (s: string) => Number(s));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite silently corrupts a data folder opened by two processes, so the folder carries a lock file
 * with the owner's pid; a lock left by a dead process is taken over.
 */
function lockFolder(dir: string): () => void {
  const lock = path.join(dir, 'credit-etl.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(readFileSync(lock, 'utf8'));
      if (owner && isAlive(owner)) {
        throw new StoreLockedError(`嵌入式数据库 ${dir} 正被进程 ${owner} 使用 / the embedded store ${dir} is in use by process ${owner}; stop it or set DATABASE_URL`);
      }
      rmSync(lock, { force: true });
    }
  }
  throw new StoreLockedError(`cannot lock ${dir}`);
}

// knex writes its own warnings (lost connections, pool errors) with console.log, which would break
// a command's --json output on stdout; they go to stderr instead.
const toStderr = (level: string) => (message: unknown) => process.stderr.write(`knex ${level}: ${message instanceof Error ? message.message : String(message)}\n`);
const knexLog = { warn: toStderr('warn'), error: toStderr('error'), deprecate: toStderr('deprecate'), debug: toStderr('debug') };

export async function openDb(config: Pick<AppConfig, 'databaseUrl' | 'dbSchema' | 'dataDir'> & { readonly auditKeys?: AuditKeySource }): Promise<Db> {
  const audit = loadAuditKeyring(config.auditKeys ?? {});
  if (config.databaseUrl) {
    const knex = knexFactory({
      client: 'pg',
      connection: config.databaseUrl,
      log: knexLog,
      searchPath: config.dbSchema ? [config.dbSchema, 'public'] : undefined,
      pool: { min: 0, max: 4 },
    });
    if (config.dbSchema) await knex.raw('CREATE SCHEMA IF NOT EXISTS ??', [config.dbSchema]);
    return { knex, kind: 'pg', audit, label: 'PostgreSQL', oneConnection: false, location: config.databaseUrl.replace(/:[^:@/]*@/, ':***@'), close: () => knex.destroy() };
  }
  const dir = path.join(config.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const unlock = lockFolder(dir);
  try {
    const { default: ClientPgLite } = await import('knex-pglite');
    const knex = knexFactory({ client: ClientPgLite as any, dialect: 'postgres', connection: { filename: dir } as any, log: knexLog });
    await knex.raw('select 1');
    return {
      knex, kind: 'pglite', audit, label: 'embedded PGlite', oneConnection: true, location: dir,
      close: async () => {
        await knex.destroy();
        unlock();
      },
    };
  } catch (e) {
    unlock();
    throw e;
  }
}
