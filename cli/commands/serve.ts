// credit-etl serve: the provider and analyst service (api/app.ts) on a port, until SIGINT/SIGTERM.
import { once } from 'node:events';
import { Command, InvalidArgumentError } from 'commander';
import { Queue } from 'bullmq';
import { buildApp } from '../../api/app.ts';
import { connectProducer } from '../../jobs/connection.ts';
import { queuedRunUpload } from '../../jobs/ingest-upload.ts';
import { QUEUE, type JobPayloads } from '../../jobs/queues.ts';
import { loadCollectionConfig } from '../../config/config.ts';
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
      // With REDIS_URL, uploads are queued for `credit-etl worker` (same queues and prefix as the
      // collection), from a durable upload folder the workers share; without it they run in process.
      const collection = loadCollectionConfig();
      const conn = collection.redisUrl ? connectProducer(collection) : undefined;
      const queue = conn ? new Queue<JobPayloads[typeof QUEUE.upload]>(QUEUE.upload, { connection: conn.connection, prefix: conn.prefix }) : undefined;
      try {
        // One file-size setting (CREDIT_ETL_MAX_FILE_MB) for uploads and every other delivery.
        const app = await buildApp({
          db, log, ingestLimits: config.limits, limits: { fileBytes: config.limits.maxFileBytes },
          ...(queue ? { runUpload: queuedRunUpload(db, { queue, retryDelayMs: collection.retryDelayMs }), uploadDir: config.uploadDir } : {}),
        });
        await app.listen({ host: opts.host, port: opts.port });
        console.error(`credit-etl serve: http://${opts.host}:${(app.server.address() as { port: number }).port}/upload  (OpenAPI: /docs)${queue ? `; uploads queued (${conn!.prefix})` : ''}`);
        await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
        await app.close();
      } finally {
        await queue?.close();
        await conn?.connection.quit();
      }
    }));
}
