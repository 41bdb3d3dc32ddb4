// Real worker processes sharing one queue: both take jobs, no source runs twice at once (even when
// two runs want it at the same moment), and a worker killed with SIGKILL mid-run costs nothing: a new
// worker takes its job over and resumes from the cursor committed with the last batch.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FlowProducer, Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { loadCollectionConfig } from '../config/config.ts';
import {
  deletePrefix, eventually, REDIS_URL, sequenceSource, spawnWorker, testPrefix, type SequenceConfig, type WorkerProcess,
} from '../test/helpers/collect.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { connectQueues, type QueueConnection } from './connection.ts';
import { startRun } from './enqueue.ts';
import { getRun } from '../store/ledger.ts';
import { QUEUE } from './queues.ts';
import type { RunReport } from './report.ts';

const cfg = loadCollectionConfig({ REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: testPrefix(), CREDIT_ETL_RETRY_DELAY_MS: '100', CREDIT_ETL_JOB_LOCK_MS: '2000' });
let t: TestDb;
let dir: string;
let conn: QueueConnection;
let flow: FlowProducer;
const workers: WorkerProcess[] = [];

// Slow enough to be caught mid-way: 20 pages of 50 rows, 60 ms before each page.
const sources: SequenceConfig[] = ['a', 'b', 'c', 'd'].map((id, i) => sequenceSource(`seq-${id}`, i * 100_000, 1000, { delayMs: 60 }));

beforeAll(async () => {
  t = await createTestDb('workers');
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-workers-'));
  writeFileSync(path.join(dir, 'sources.json'), JSON.stringify(sources));
  conn = connectQueues(cfg);
  flow = new FlowProducer({ connection: conn.connection, prefix: conn.prefix });
});
afterEach(async () => {
  for (const w of workers.splice(0)) {
    w.child.kill('SIGTERM');
    await w.exited;
  }
});
afterAll(async () => {
  await flow?.close();
  await conn?.connection.quit();
  await deletePrefix(REDIS_URL, cfg.queuePrefix);
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

function worker(): WorkerProcess {
  const w = spawnWorker(path.join(dir, 'sources.json'), {
    DATABASE_URL: t.url, REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: cfg.queuePrefix, CREDIT_ETL_RETRY_DELAY_MS: '100', CREDIT_ETL_JOB_LOCK_MS: String(cfg.jobLockMs),
  });
  workers.push(w);
  return w;
}

const run = (sourceIds: readonly string[]) => startRun(t.db, { flow, prefix: conn.prefix, retryDelayMs: cfg.retryDelayMs }, { trigger: 'manual', sourceIds });
const finished = (runId: string) => eventually(async () => {
  const r = await getRun(t.db, runId);
  return r?.status === 'running' ? undefined : (r!.report as RunReport);
});
const count = async (table: string) => Number((await t.db.knex(table).count({ n: '*' }))[0].n);

it('two workers share the runs, and a source wanted by two runs at once runs in one of them at a time', async () => {
  const [w1, w2] = [worker(), worker()];
  await Promise.all([w1.ready, w2.ready]);
  const ids = sources.map((s) => s.id);
  // r2 first, so each idle worker takes one of the two seq-a jobs: one of them must wait for the other.
  const r2 = await run(['seq-a']);
  const r1 = await run(ids);
  const [a, b] = await Promise.all([finished(r1), finished(r2)]);
  expect([a.status, b.status]).toEqual(['succeeded', 'succeeded']);

  // Both processes took jobs.
  const collect = new Queue(QUEUE.collect, { connection: conn.connection, prefix: conn.prefix });
  const jobs = await collect.getJobs(['completed']);
  await collect.close();
  const by = new Set(jobs.map((j) => j.processedBy?.split(':')[1]));
  expect(by).toEqual(new Set([String(w1.child.pid), String(w2.child.pid)]));

  // The two runs' executions of seq-a never overlapped (each starts after taking the source's lock and
  // finishes before releasing it).
  const [x, y] = await t.db.knex('collection_run_sources').where({ source_id: 'seq-a' }).orderBy('started_at').select('started_at', 'finished_at');
  expect(x.finished_at <= y.started_at, 'seq-a ran twice at once').toBe(true);
  // Every row once: whichever run came second found nothing new.
  expect(a.sources.reduce((n, s) => n + s.inserted, 0) + b.sources.reduce((n, s) => n + s.inserted, 0)).toBe(4000);
  expect(await count('credit_records')).toBe(4000);
});

it('a worker killed with SIGKILL mid-run is replaced by a new one: 0 rows lost, 0 duplicated', async () => {
  const grown = sources.map((s) => ({ ...s, total: 2000 }));
  writeFileSync(path.join(dir, 'sources.json'), JSON.stringify(grown));
  const w1 = worker();
  await w1.ready;
  const runId = await run(grown.map((s) => s.id));
  // Kill it once a source has committed some batches of this run but not all of them.
  await eventually(async () => {
    const { rows } = await t.db.knex.raw('SELECT count(*)::int AS n FROM collection_run_batches WHERE run_id = ?', [runId]);
    return rows[0].n >= 3 ? true : undefined;
  }, 20);
  w1.child.kill('SIGKILL');
  expect(await w1.exited).toBe('SIGKILL');
  expect((await getRun(t.db, runId))!.status).toBe('running');

  await worker().ready;
  const report = await finished(runId);
  expect(report.status).toBe('succeeded');
  // The source the kill interrupted was started twice: by the killed worker, then by its successor.
  expect(report.sources.some((s) => s.attempts === 2)).toBe(true);
  for (const s of report.sources) {
    // Each source delivered rows 1000..1999 since the first test: exactly once each.
    expect(s).toMatchObject({ read: 1000, inserted: 1000, updated: 0, unchanged: 0, duplicates: 0, reconciled: true });
  }
  expect(await count('credit_records')).toBe(8000);
  const { rows } = await t.db.knex.raw(`SELECT count(*)::int AS n FROM credit_records WHERE category = 'water'`);
  expect(rows[0].n).toBe(8000);
});

it('a worker stopped with SIGTERM mid-run commits its last batch, exits by itself, and the next worker finishes the run exactly', async () => {
  const slow = [sequenceSource('seq-term', 900_000, 1000, { delayMs: 60 })];
  writeFileSync(path.join(dir, 'sources.json'), JSON.stringify(slow));
  const w1 = worker();
  await w1.ready;
  const runId = await run(['seq-term']);
  await eventually(async () => {
    const { rows } = await t.db.knex.raw('SELECT count(*)::int AS n FROM collection_run_batches WHERE run_id = ?', [runId]);
    return rows[0].n >= 2 ? true : undefined;
  }, 20);
  w1.child.kill('SIGTERM');
  expect(await w1.exited, w1.output()).toBe(0);
  expect((await getRun(t.db, runId))!.status).toBe('running');

  await worker().ready;
  const report = await finished(runId);
  expect(report.sources[0]).toMatchObject({ status: 'succeeded', read: 1000, inserted: 1000, duplicates: 0, reconciled: true });
});
