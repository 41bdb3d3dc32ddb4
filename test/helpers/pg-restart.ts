// Restarting the machine's PostgreSQL under a test (test/faults): whether this machine can (root and a
// local pg_ctlcluster cluster), the restart itself, and questions asked over connections of the test's
// own that survive it.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import knexFactory, { type Knex } from 'knex';

const version = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql')[0] : undefined;
export const canRestartPg = version !== undefined && process.getuid?.() === 0 && existsSync('/usr/bin/pg_ctlcluster');
if (!canRestartPg) console.warn('skipping the PostgreSQL restart test: needs root and a local pg_ctlcluster cluster');

const pgCtl = (action: 'restart' | 'stop' | 'start'): void => void execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version!, 'main', action], { stdio: 'ignore' });

/** Restarts the local cluster (pg_ctlcluster <version> main restart); returns once the command has. */
export const restartPg = (): void => pgCtl('restart');

/** Stops the local cluster; a test that stops it starts it again in a finally. */
export const stopPg = (): void => pgCtl('stop');
export const startPg = (): void => pgCtl('start');

/** Asks the database at url over a fresh pool of one, so it survives a restart; undefined if the question fails. */
export async function askPg<T>(url: string, q: (k: Knex) => Promise<T>): Promise<T | undefined> {
  const k = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    return await q(k);
  } catch {
    return undefined;
  } finally {
    await k.destroy();
  }
}

/** Resolves once the database at url answers again (up to about 20 s); throws if it does not. */
export async function untilPgUp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await askPg(url, (k) => k.raw('select 1'))) !== undefined) return;
    await sleep(200);
  }
  throw new Error('PostgreSQL did not come back');
}
