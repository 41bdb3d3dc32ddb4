// What every command shares: the parsed configuration, the logger, the store, usage errors.
// Commands live in cli/main.ts and cli/commands/*.ts (each exports register(program)).
import { loadConfig } from '../config/config.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { categories, findCategory, findProviderUnit, providerUnits } from '../schemas/registry.ts';
import { openDb, type Db } from '../store/db.ts';
import { migrateLatest } from '../store/migrate.ts';

/** A mistake in how the command was called: printed without a stack, exit code 2. */
export class UsageError extends Error {}

export const config = loadConfig();

// On a terminal, and in the demo, the progress bar and summary speak; JSON logs go to stderr at
// warn unless LOG_LEVEL asks for more. Unattended runs (no TTY) log at info.
const quiet = process.stderr.isTTY || process.argv[2] === 'demo';
export const log: Logger = createLogger(process.env.LOG_LEVEL || !quiet ? config.logLevel : 'warn');

/** Opens the store, brings it up to date, runs fn, and closes the store whatever happens. */
export async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(config);
  try {
    await migrateLatest(db.knex);
    return await fn(db);
  } finally {
    await db.close();
  }
}

export function resolveCategory(name: string) {
  const c = findCategory(name);
  if (!c) throw new UsageError(`未知类别 unknown category "${name}". Known: ${categories().map((x) => `${x.id} (${x.labelZh})`).join(', ')}`);
  return c;
}

export function resolveProvider(name: string) {
  const u = findProviderUnit(name);
  if (!u) throw new UsageError(`未知报送单位 unknown provider unit "${name}". Known: ${providerUnits.map((x) => `${x.id} (${x.name})`).join(', ')}`);
  return u;
}
