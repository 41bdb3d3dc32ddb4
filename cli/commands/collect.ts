// The nightly collection: `worker`, `schedule`, `run`, `runs`. With REDIS_URL the runs go through
// BullMQ; without it `run` executes the sources in-process through the same code below the queue.
import { setTimeout as sleep } from 'node:timers/promises';
import { FlowProducer, Queue } from 'bullmq';
import { InvalidArgumentError, type Command } from 'commander';
import { loadCatalog, type SourceCatalog } from '../../jobs/catalog.ts';
import { buildBoard } from '../../jobs/board.ts';
import { connectQueues } from '../../jobs/connection.ts';
import { startRun } from '../../jobs/enqueue.ts';
import { formatRunReport, formatRunTable } from '../format-run.ts';
import { runInProcess } from '../../jobs/in-process.ts';
import { getRun, listRuns } from '../../store/ledger.ts';
import { QUEUE, type JobPayloads } from '../../jobs/queues.ts';
import type { RunReport } from '../../jobs/report.ts';
import { installSchedules, TIME_ZONE } from '../../jobs/schedules.ts';
import { untilSignal } from '../../jobs/shutdown.ts';
import { openQueues, startCollectionWorker } from '../../jobs/worker.ts';
import { storeReadiness } from '../../store/readiness.ts';
import { loadCollectionConfig, type CollectionConfig } from '../../config/config.ts';
import { config, log, UsageError, withDb } from '../context.ts';

// Read when a collection command runs, not when the module loads: every command but the store ones
// loads this module, and a bad CREDIT_ETL_* variable must not break `tokens` or `--help`.
let loaded: CollectionConfig | undefined;
const collectionConfig = () => (loaded ??= loadCollectionConfig());

function catalog(): SourceCatalog {
  const collection = collectionConfig();
  if (!collection.sourcesFile) throw new UsageError('CREDIT_ETL_SOURCES 未设置 / set CREDIT_ETL_SOURCES to the sources file (e.g. connectors/sources.demo.json)');
  try {
    return loadCatalog(collection.sourcesFile, collection.env);
  } catch (e) {
    // The demo sources point at the bundled stand-ins: say how to start them rather than list 19 unset variables alone.
    if ((e as Error).message.includes('STANDIN_')) {
      throw new UsageError(`${(e as Error).message}\n\n演示数据源需要替身服务 / the demo sources need the bundled stand-in providers: `
        + 'run `npx credit-etl stand-ins` in another terminal, then `export $(cat data/stand-ins.env)` here (README: trying the nightly collection).');
    }
    throw e;
  }
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
  program.command('worker').description('process collection runs (schedules, sources, run reports) and queued uploads from Redis until SIGTERM; serves /metrics, /health, /ready and Bull Board on CREDIT_ETL_BOARD_PORT')
    .option('--no-board', 'serve /metrics, /health and /ready only, without Bull Board')
    .option('--host <host>', 'address of the board and metrics server', '127.0.0.1')
    .action(async (opts) => withDb(async (db) => {
      const collection = collectionConfig();
      // Without a sources file the worker handles queued uploads only (a service's upload worker).
      const cat = collection.sourcesFile ? catalog() : undefined;
      const conn = connectQueues(collection);
      const queues = openQueues(conn);
      const closeQueues = async () => {
        await Promise.all(Object.values(queues).map((q) => q.close()));
        await conn.connection.quit();
      };
      // The port first: a worker that cannot serve its metrics and board stops before it takes any job.
      const server = await buildBoard(Object.values(queues), collection.boardAdminToken, {
        board: opts.board, checks: { ...storeReadiness(db), redis: async () => void (await conn.connection.ping()) },
      });
      let at: string;
      try {
        at = await server.listen({ host: opts.host, port: collection.boardPort });
      } catch (e) {
        await server.close();
        await closeQueues();
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new UsageError(`端口 ${collection.boardPort} 已被占用（另一个 worker？），worker 未启动 / port ${collection.boardPort} on ${opts.host} is in use `
            + '(another worker?): this worker took no job. Set CREDIT_ETL_BOARD_PORT to a free port (0: any free port).');
        }
        throw e;
      }
      const worker = await startCollectionWorker({ db, log, catalog: cat, cfg: collection, conn, queues, ingestLimits: config().limits });
      const where = { metrics: `${at}/metrics`, ready: `${at}/ready`, board: opts.board ? `${at}/board` : undefined, admin: opts.board && collection.boardAdminToken ? `${at}/admin/board` : undefined };
      log.info({ ...where, prefix: conn.prefix, sources: cat?.sources.map((s) => s.id) }, 'worker listening');
      if (process.stderr.isTTY) {
        console.error(`credit-etl worker: ${cat ? `collection (${cat.sources.length} sources) and queued uploads` : 'queued uploads only (no CREDIT_ETL_SOURCES)'}, Redis prefix ${conn.prefix}`);
        console.error(`  Bull Board ${where.board ?? '(off)'}   metrics ${where.metrics}   ready ${where.ready}${where.admin ? `   admin ${where.admin}` : ''}`);
        console.error('  Ctrl-C stops after the running batch commits');
      }
      if (!cat) log.warn({ prefix: conn.prefix }, 'no CREDIT_ETL_SOURCES: this worker handles queued uploads only, no collection runs');
      const signal = await untilSignal(() => process.exit(130));
      log.info({ signal }, 'shutting down: running sources stop at their next checkpoint');
      await server.close();
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

  program.command('runs').description('recent collection runs from the run ledger; with a run id, that run\'s report per source')
    .argument('[runId]', 'one run: its sources, counts and errors')
    .option('--json', 'JSON output')
    .option('--limit <n>', 'how many', (v: string) => {
      const x = Number(v);
      if (!Number.isInteger(x) || x < 1) throw new InvalidArgumentError('a whole number >= 1');
      return x;
    }, 20)
    .action(async (runId: string | undefined, opts) => withDb(async (db) => {
      if (runId) {
        const run = await getRun(db, runId);
        if (!run) throw new UsageError(`未知运行 unknown run ${runId}`);
        if (opts.json) return console.log(JSON.stringify(run));
        return console.log(run.report ? formatRunReport(run.report as RunReport) : `run ${run.id} ${run.status}: no report yet`);
      }
      const runs = await listRuns(db, opts.limit);
      if (opts.json) return console.log(JSON.stringify(runs));
      if (!runs.length) return console.log('还没有采集运行 / no runs yet: npx credit-etl run --all');
      console.log(formatRunTable(runs));
      console.log(`\n每个数据源的明细 / per source: npx credit-etl runs ${runs[0].id}`);
    }));
}
