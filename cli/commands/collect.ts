// The nightly collection: `worker`, `schedule`, `run`, `runs`. With REDIS_URL the runs go through
// BullMQ; without it `run` executes the sources in-process through the same code below the queue.
import { setTimeout as sleep } from 'node:timers/promises';
import { FlowProducer, Queue } from 'bullmq';
import { InvalidArgumentError, type Command } from 'commander';
import { loadCatalog, type SourceCatalog } from '../../jobs/catalog.ts';
import { buildBoard } from '../../jobs/board.ts';
import { connectQueues } from '../../jobs/connection.ts';
import { startRun } from '../../jobs/enqueue.ts';
import { formatRunLine, formatRunReport } from '../../jobs/format-run.ts';
import { runInProcess } from '../../jobs/in-process.ts';
import { getRun, listRuns } from '../../store/ledger.ts';
import { QUEUE, type JobPayloads } from '../../jobs/queues.ts';
import type { RunReport } from '../../jobs/report.ts';
import { installSchedules, TIME_ZONE } from '../../jobs/schedules.ts';
import { untilSignal } from '../../jobs/shutdown.ts';
import { startCollectionWorker } from '../../jobs/worker.ts';
import { loadCollectionConfig, type CollectionConfig } from '../../config/config.ts';
import { config, log, UsageError, withDb } from '../context.ts';

// Read when a collection command runs, not when the module loads: every command but the store ones
// loads this module, and a bad CREDIT_ETL_* variable must not break `tokens` or `--help`.
let loaded: CollectionConfig | undefined;
const collectionConfig = () => (loaded ??= loadCollectionConfig());

function catalog(): SourceCatalog {
  const collection = collectionConfig();
  if (!collection.sourcesFile) throw new UsageError('CREDIT_ETL_SOURCES 未设置 / set CREDIT_ETL_SOURCES to the sources file (e.g. connectors/sources.demo.json)');
  return loadCatalog(collection.sourcesFile, collection.env);
}

function selectSources(cat: SourceCatalog, opts: { connector?: string[]; all?: boolean }): string[] {
  if (opts.connector?.length && opts.all) throw new UsageError('--connector and --all exclude each other');
  if (!opts.connector?.length) return cat.sources.map((s) => s.id);
  const unknown = opts.connector.filter((id) => !cat.sources.some((s) => s.id === id));
  if (unknown.length) throw new UsageError(`未知数据源 unknown source(s) ${unknown.join(', ')}; known: ${cat.sources.map((s) => s.id).join(', ')}`);
  return opts.connector;
}

const exitCodeOf = (status: string) => (status === 'succeeded' ? 0 : 1);

export function register(program: Command): void {
  program.command('worker').description('process collection runs (schedules, sources, run reports) and queued uploads from Redis until SIGTERM; serves Bull Board')
    .option('--no-board', 'do not serve Bull Board')
    .action(async (opts) => withDb(async (db) => {
      const collection = collectionConfig();
      // Without a sources file the worker handles queued uploads only (a service's upload worker).
      const cat = collection.sourcesFile ? catalog() : undefined;
      const conn = connectQueues(collection);
      const worker = await startCollectionWorker({ db, log, catalog: cat, cfg: collection, conn, ingestLimits: config.limits });
      const board = opts.board ? await buildBoard(Object.values(worker.queues), collection.boardAdminToken) : undefined;
      if (board) {
        const at = await board.listen({ host: '127.0.0.1', port: collection.boardPort });
        log.info({ board: `${at}/board`, admin: collection.boardAdminToken ? `${at}/admin/board` : undefined }, 'Bull Board listening');
      }
      if (cat) log.info({ prefix: conn.prefix, sources: cat.sources.map((s) => s.id) }, 'collection worker ready');
      else log.warn({ prefix: conn.prefix }, 'no CREDIT_ETL_SOURCES: this worker handles queued uploads only, no collection runs');
      const signal = await untilSignal(() => process.exit(130));
      log.info({ signal }, 'shutting down: running sources stop at their next checkpoint');
      await board?.close();
      await worker.close();
      await conn.connection.quit();
    }));

  program.command('schedule').description('install or update the job schedulers of the sources file (cron in Asia/Shanghai)')
    .action(async () => {
      const cat = catalog();
      const conn = connectQueues(collectionConfig());
      const trigger = new Queue<JobPayloads[typeof QUEUE.trigger]>(QUEUE.trigger, { connection: conn.connection, prefix: conn.prefix });
      try {
        const { installed, removed } = await installSchedules(trigger, cat.sources);
        for (const s of installed) console.log(`${s.pattern} (${TIME_ZONE}): ${s.sourceIds.join(', ')}`);
        for (const id of removed) console.log(`removed ${id}`);
      } finally {
        await trigger.close();
        await conn.connection.quit();
      }
    });

  program.command('run').description('collect now: every source, or the ones named')
    .option('--connector <id>', 'a source id of the sources file (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--all', 'every source (the default)')
    .option('--wait', 'with REDIS_URL: wait for the run to finish and print its report')
    .option('--json', 'print the report as JSON')
    .action(async (opts) => withDb(async (db) => {
      const collection = collectionConfig();
      const cat = catalog();
      const sourceIds = selectSources(cat, opts);
      const print = (r: RunReport) => console.log(opts.json ? JSON.stringify(r) : formatRunReport(r));
      if (!collection.redisUrl) {
        const report = await runInProcess({ db, log, catalog: cat }, { sourceIds, retryDelayMs: collection.retryDelayMs });
        print(report);
        process.exitCode = exitCodeOf(report.status);
        return;
      }
      const conn = connectQueues(collection);
      const flow = new FlowProducer({ connection: conn.connection, prefix: conn.prefix });
      try {
        const runId = await startRun(db, { flow, prefix: conn.prefix, retryDelayMs: collection.retryDelayMs }, { trigger: 'manual', sourceIds });
        if (!opts.wait) return console.log(opts.json ? JSON.stringify({ runId }) : `run ${runId} queued: ${sourceIds.join(', ')}`);
        // The run waits in Redis until a collection worker takes it: say so rather than wait in silence.
        const collectQueue = new Queue(QUEUE.collect, { connection: conn.connection, prefix: conn.prefix });
        const workers = await collectQueue.getWorkersCount().finally(() => collectQueue.close());
        if (workers === 0) {
          console.error(`没有连接到 ${conn.prefix} 的采集 worker，运行 ${runId} 在队列中等待 / no collection worker is connected to ${conn.prefix}: `
            + `run ${runId} waits in the queue until one starts (credit-etl worker with CREDIT_ETL_SOURCES); Ctrl-C stops waiting, the run stays queued`);
        }
        // The ledger, not Redis, says when a run is over.
        let run = await getRun(db, runId);
        while (run?.status === 'running') {
          await sleep(1000);
          run = await getRun(db, runId);
        }
        const report = run!.report as RunReport;
        print(report);
        process.exitCode = exitCodeOf(report.status);
      } finally {
        await flow.close();
        await conn.connection.quit();
      }
    }));

  program.command('runs').description('recent collection runs from the run ledger')
    .option('--json', 'JSON output')
    .option('--limit <n>', 'how many', (v: string) => {
      const x = Number(v);
      if (!Number.isInteger(x) || x < 1) throw new InvalidArgumentError('a whole number >= 1');
      return x;
    }, 20)
    .action(async (opts) => withDb(async (db) => {
      const runs = await listRuns(db, opts.limit);
      if (opts.json) return console.log(JSON.stringify(runs));
      for (const r of runs) {
        console.log(formatRunLine(r));
        if (r.report) console.log(formatRunReport(r.report as RunReport).split('\n').slice(1).join('\n'));
      }
    }));
}
