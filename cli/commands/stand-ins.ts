// credit-etl stand-ins: the bundled stand-in providers (seven provider APIs, a source database, a drop
// folder) for demos and trials of the nightly collection, until Ctrl-C. Their endpoints and demo
// secrets go to an env file the worker's shell loads; the enterprises the per-enterprise providers
// serve get authorisations in the store, as an operator would record them. The test kit is loaded
// only when this command runs.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { untilSignal } from '../../jobs/shutdown.ts';
import { config, log, portOption, UsageError, withDb } from '../context.ts';

const DEMO_SOURCES = 'connectors/sources.demo.json';

// the seven stand-ins listen on the base port and the six after it
const port = portOption(1, 65528);

export function register(program: Command): void {
  program.command('stand-ins').description('start the bundled stand-in providers (for demos and trials of the collection) until Ctrl-C; writes their endpoints to an env file')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--base-port <port>', 'the seven provider APIs listen on this port and the six after it', port, 3201)
    .option('--env-file <file>', 'where to write the endpoints and demo secrets', 'data/stand-ins.env')
    .action(async (opts) => {
      const { startStandIns } = await import('../../testkit/stand-ins/stand-ins.ts');
      const { API_IDS } = await import('../../testkit/stand-ins/apis.ts');
      const { seedAuthorisations } = await import('../../testkit/stand-ins/seed-authorisations.ts');
      const cfg = config();
      // The source-database stand-in is a database on a PostgreSQL server: the store's, when it is one.
      if (!cfg.databaseUrl) {
        throw new UsageError('stand-ins 需要 PostgreSQL（DATABASE_URL）：源数据库替身建在其上，且 worker 与 run 须共用存储 / '
          + 'set DATABASE_URL: the source-database stand-in lives on that PostgreSQL server, and the worker and `run` must share the store (the embedded one serves one process)');
      }
      const dropDir = path.resolve(cfg.dataDir, 'stand-ins', 'drop');
      const ports = Object.fromEntries(API_IDS.map((api, i) => [api, opts.basePort + i]));
      let s;
      try {
        s = await startStandIns({ adminUrl: cfg.databaseUrl, host: opts.host, ports, dropDir });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`端口被占用 / a port from ${opts.basePort} to ${opts.basePort + API_IDS.length - 1} is in use (stand-ins already running?); choose --base-port`);
        throw e;
      }
      try {
        const seeded = await withDb((db) => seedAuthorisations(db, s));
        mkdirSync(path.dirname(path.resolve(opts.envFile)), { recursive: true });
        // Everything the collection commands need against these stand-ins, for `export $(cat <file>)`.
        const env = { ...s.env, DATABASE_URL: cfg.databaseUrl, REDIS_URL: cfg.redisUrl ?? 'redis://127.0.0.1:6379', CREDIT_ETL_SOURCES: DEMO_SOURCES };
        writeFileSync(opts.envFile, `${Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n')}\n`, { mode: 0o600 });
        log.info({ urls: s.urls, sourceDb: s.sourceDb?.url, dropDir: s.dropDir, envFile: opts.envFile }, 'stand-ins listening');
        const granted = Object.values(seeded.inForce).reduce((n, l) => n + l.length, 0);
        console.error([
          'credit-etl stand-ins: the bundled stand-in providers (demo data, not real systems)',
          ...API_IDS.map((api) => `  ${api.padEnd(12)} ${s.urls[api]}`),
          `  source-db    ${s.sourceDb?.url.replace(/:[^:@/]*@/, ':***@')} (table ${s.sourceDb?.table})`,
          `  drop folder  ${s.dropDir}`,
          `  ${granted} enterprise authorisations recorded in the store for the per-enterprise providers`,
          '',
          `Their endpoints and demo secrets, with DATABASE_URL, REDIS_URL and CREDIT_ETL_SOURCES: ${opts.envFile}. In another terminal:`,
          `  export $(cat ${opts.envFile})`,
          '  npx credit-etl worker',
          `and in a third: export $(cat ${opts.envFile}), then npx credit-etl schedule; npx credit-etl run --all --wait`,
          'Ctrl-C stops the stand-ins.',
        ].join('\n'));
        await untilSignal(() => process.exit(130));
      } finally {
        await s.close();
      }
    });
}
