// What every command shares: the parsed configuration, the logger, the store, usage errors.
// Commands live in cli/main.ts and cli/commands/*.ts (each exports register(program)).
import { InvalidArgumentError } from 'commander';
import { ENV, loadConfig, type AppConfig } from '../config/config.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { categories, findCategory, findProviderUnit, providerUnits } from '../schemas/registry.ts';
import { openDb, type Db } from '../store/db.ts';
import { migrateLatest } from '../store/migrate.ts';

/** A mistake in how the command was called: printed without a stack, exit code 2. */
export class UsageError extends Error {}

let loaded: AppConfig | undefined;
/** The environment, validated when a command first needs it: --help and --version work whatever it holds. */
export const config = (): AppConfig => (loaded ??= loadConfig());

// On a terminal, and in the demo, the progress bar and summary speak; JSON logs go to stderr at
// warn unless LOG_LEVEL asks for more. Unattended runs (no TTY) log at info. A LOG_LEVEL that is not
// a level is reported by config() when the command starts; until then the logger uses info.
const quiet = process.stderr.isTTY || process.argv[2] === 'demo';
const asked = (ENV.LOG_LEVEL.enum as readonly string[]).includes(process.env.LOG_LEVEL ?? '') ? process.env.LOG_LEVEL! : undefined;
export const log: Logger = createLogger(asked ?? (quiet ? 'warn' : 'info'));

/** Opens the store, brings it up to date, runs fn, and closes the store whatever happens. */
export async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(config());
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

/** A port option's parser: a whole number from `first` to `last`. */
export const portOption = (first: number, last: number) => (v: string): number => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < first || x > last) throw new InvalidArgumentError('a port number');
  return x;
};
