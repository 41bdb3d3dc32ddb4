// credit-etl serve: the provider and analyst service (api/app.ts) on a port, until SIGINT/SIGTERM.
import { once } from 'node:events';
import { chmodSync, mkdirSync } from 'node:fs';
import { Command } from 'commander';
import { Queue } from 'bullmq';
import { buildApp } from '../../api/app.ts';
import { commandLineActor, purgeLapsed } from '../../api/operations.ts';
import { connectProducer } from '../../jobs/connection.ts';
import { queuedRunUpload } from '../../jobs/ingest-upload.ts';
import { QUEUE, type JobPayloads } from '../../jobs/queues.ts';
import { loadCollectionConfig } from '../../config/config.ts';
import { startCheckpoints } from '../../store/audit-checkpoint.ts';
import { config, log, portOption, withDb } from '../context.ts';

const port = portOption(0, 65535);

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
      // Uploads hold enterprises' data as delivered: in the data folder, readable by the service's user alone.
      mkdirSync(config().uploadDir, { recursive: true, mode: 0o700 });
      chmodSync(config().uploadDir, 0o700);
      const stopCheckpoints = startCheckpoints(db, {
        dir: config().audit.checkpointDir, webhook: config().audit.checkpointWebhook, everyMs: config().audit.checkpointEveryMs, log,
      });
      // Records collected under platform authorisations that lapsed are purged after the retention period.
      const purge = setInterval(() => {
        purgeLapsed(db, { actor: { ...commandLineActor(), unit: 'credit-etl serve' }, requestId: null, now: new Date() }, config().service.revokedRetentionDays)
          .catch((err) => log.error({ err }, 'purge of lapsed collections failed'));
      }, 3_600_000);
      purge.unref();
      try {
        // The service's own upload limit (CREDIT_ETL_SERVICE_MAX_UPLOAD_MB, 200 MB), smaller than what
        // `ingest` reads from disk (CREDIT_ETL_MAX_FILE_MB): a network upload is held and parsed by the service.
        const app = await buildApp({
          db, log, ingestLimits: config().limits, limits: { fileBytes: Math.min(config().service.uploadBytes, config().limits.maxFileBytes) },
          uploadDir: config().uploadDir, checkpointDir: config().audit.checkpointDir, authFailuresPerMinute: config().service.authFailuresPerMinute,
          errorBudgets: config().errorBudgets,
          ...(queue ? {
            runUpload: queuedRunUpload(db, { queue, retryDelayMs: collection.retryDelayMs }),
            readiness: { redis: async () => void (await conn!.connection.ping()) }, metricsSources: [() => queue.exportPrometheusMetrics()],
          } : {}),
        });
        await app.listen({ host: opts.host, port: opts.port });
        const at = `http://${opts.host}:${(app.server.address() as { port: number }).port}`;
        console.error(`credit-etl serve: ${at}/upload  (OpenAPI: ${at}/docs; metrics: ${at}/metrics; ready: ${at}/ready)${queue ? `; uploads queued (${conn!.prefix})` : ''}`);
        await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
        await app.close();
      } finally {
        stopCheckpoints();
        clearInterval(purge);
        await queue?.close();
        await conn?.connection.quit();
      }
    }));
}
