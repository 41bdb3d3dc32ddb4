// credit-etl serve: the provider and analyst service (api/app.ts) on a port, until SIGINT/SIGTERM.
import { once } from 'node:events';
import { Command, InvalidArgumentError } from 'commander';
import { buildApp } from '../../api/app.ts';
import { config, log, withDb } from '../context.ts';

const port = (v: string) => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 0 || x > 65535) throw new InvalidArgumentError('a port number');
  return x;
};

export function register(program: Command): void {
  program.command('serve').description('run the provider and analyst HTTP service (uploads, profiles, access log; OpenAPI at /docs)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port', port, 8080)
    .action(async (opts) => withDb(async (db) => {
      // One file-size setting (CREDIT_ETL_MAX_FILE_MB) for uploads and every other delivery.
      const app = await buildApp({ db, log, ingestLimits: config.limits, limits: { fileBytes: config.limits.maxFileBytes } });
      await app.listen({ host: opts.host, port: opts.port });
      console.error(`credit-etl serve: http://${opts.host}:${(app.server.address() as { port: number }).port}/upload  (OpenAPI: /docs)`);
      await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
      await app.close();
    }));
}
