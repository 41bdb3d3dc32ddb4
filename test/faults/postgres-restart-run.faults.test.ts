// PostgreSQL restarting under a collection run: the batch a worker was loading is lost whole (its
// transaction aborts, its cursor with it), the job fails as retryable and is retried once the server
// is back, and the run completes with exact counts; the worker process stays up throughout. This
// restarts the machine's PostgreSQL, so it runs with the other fault tests, alone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FlowProducer } from 'bullmq';
import type { Knex } from 'knex';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectQueues, type QueueConnection } from '../../jobs/connection.ts';
import { startRun } from '../../jobs/enqueue.ts';
import type { RunReport } from '../../jobs/report.ts';
import { loadCollectionConfig } from '../../config/config.ts';
import { deletePrefix, eventually, REDIS_URL, sequenceSource, spawnWorker, testPrefix, type WorkerProcess } from '../helpers/collect.ts';
import { createTestDb, type TestDb } from '../helpers/pg.ts';
import { askPg, canRestartPg as canRestart, restartPg } from '../helpers/pg-restart.ts';

const sources = ['a', 'b'].map((id, i) => sequenceSource(`pg-${id}`, i * 100_000, 1500, { delayMs: 20 }));
const cfg = loadCollectionConfig({ REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: testPrefix(), CREDIT_ETL_RETRY_DELAY_MS: '500', CREDIT_ETL_JOB_LOCK_MS: '5000' });
let t: TestDb;
let dir: string;
let conn: QueueConnection;
let flow: FlowProducer;
let worker: WorkerProcess;

beforeAll(async () => {
  if (!canRestart) return;
  t = await createTestDb('pgrestart_run');
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-pgrestart-run-'));
  writeFileSync(path.join(dir, 'sources.json'), JSON.stringify(sources));
  conn = connectQueues(cfg);
  flow = new FlowProducer({ connection: conn.connection, prefix: conn.prefix });
});
afterAll(async () => {
  if (!canRestart) return;
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await flow?.close();
  await conn?.connection.quit();
  await deletePrefix(REDIS_URL, cfg.queuePrefix);
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A connection of the test's own that survives the restart: a fresh pool per question. */
const ask = <T>(q: (k: Knex) => Promise<T>) => askPg(t.url, q);

it.skipIf(!canRestart)('a PostgreSQL restart mid-run: the worker stays up, the interrupted source is retried, and the run completes exactly', async () => {
  worker = spawnWorker(path.join(dir, 'sources.json'), {
    DATABASE_URL: t.url, REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: cfg.queuePrefix, CREDIT_ETL_RETRY_DELAY_MS: '500', CREDIT_ETL_JOB_LOCK_MS: '5000',
  });
  await worker.ready;
  const runId = await startRun(t.db, { flow, prefix: conn.prefix, retryDelayMs: cfg.retryDelayMs }, { trigger: 'manual', sourceIds: sources.map((s) => s.id) });
  await t.db.close(); // this pool would not survive the restart; `ask` opens fresh ones
  await eventually(async () => ((await ask((k) => k('collection_run_batches').where({ run_id: runId }).count({ n: '*' })))?.[0]?.n as number) >= 3 ? true : undefined, 50);

  restartPg();

  const report = await eventually(async () => {
    const run = await ask((k) => k('collection_runs').where({ id: runId }).first());
    return run && run.status !== 'running' ? (run.report as RunReport) : undefined;
  }, 500);
  expect(worker.child.exitCode, worker.output()).toBeNull();
  expect(report.status, JSON.stringify(report)).toBe('succeeded');
  for (const s of report.sources) expect(s).toMatchObject({ read: 1500, inserted: 1500, updated: 0, unchanged: 0, duplicates: 0, reconciled: true });
  // The source that was loading when the server went away ran again; the other may have too.
  expect(report.sources.some((s) => (s.attempts ?? 1) > 1)).toBe(true);
  const counts = await ask(async (k) => ({
    records: Number((await k('credit_records').count({ n: '*' }))[0].n),
    keys: Number((await k('credit_records').countDistinct({ n: 'natural_key' }))[0].n),
    unfinished: Number((await k('batches').whereIn('status', ['received', 'failed']).count({ n: '*' }))[0].n),
    versions: Number((await k('credit_record_versions').count({ n: '*' }))[0].n),
  }));
  expect(counts).toEqual({ records: 3000, keys: 3000, unfinished: 0, versions: 0 });
}, 180_000);
