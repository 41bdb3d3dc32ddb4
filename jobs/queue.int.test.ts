// A run through real Redis: a flow with one child per source and the report job as parent. A
// transient failure is retried with backoff and succeeds; a data error fails its source at once
// (UnrecoverableError), the others complete, and the report names the failed source and why.
import { FlowProducer } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadCollectionConfig } from '../config/config.ts';
import { deletePrefix, eventually, REDIS_URL, sequenceCatalog, sequenceSource, testPrefix, type Faults } from '../test/helpers/collect.ts';
import { silentLog } from '../test/helpers/ingest.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { connectQueues, type QueueConnection } from './connection.ts';
import { startRun } from './enqueue.ts';
import { getRun } from '../store/ledger.ts';
import { jobId, QUEUE } from './queues.ts';
import type { RunReport } from './report.ts';
import { startCollectionWorker, type CollectionWorker } from './worker.ts';

const cfg = loadCollectionConfig({ REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: testPrefix(), CREDIT_ETL_RETRY_DELAY_MS: '100', CREDIT_ETL_JOB_LOCK_MS: '5000' });
let t: TestDb;
let conn: QueueConnection;
let worker: CollectionWorker;
let flow: FlowProducer;

const sources = [sequenceSource('flaky', 0, 150), sequenceSource('broken', 10_000, 100), sequenceSource('fine', 20_000, 80)];
const faults: Faults = new Map([
  ['flaky', { code: 'E_PROVIDER_UNAVAILABLE', retryable: true, times: 2, afterRows: 50 }],
  ['broken', { code: 'E_PAYLOAD_MALFORMED', retryable: false, times: 1, afterRows: 50 }],
]);

beforeAll(async () => {
  t = await createTestDb('queue');
  conn = connectQueues(cfg);
  worker = await startCollectionWorker({ db: t.db, log: silentLog, cfg, conn, catalog: sequenceCatalog(sources, faults) });
  flow = new FlowProducer({ connection: conn.connection, prefix: conn.prefix });
});
afterAll(async () => {
  await flow?.close();
  await worker?.close();
  await conn?.connection.quit();
  await deletePrefix(REDIS_URL, cfg.queuePrefix);
  await t?.drop();
});

it('retries the transient failure, fails the data error without retry, completes the rest and reports which failed and why', async () => {
  const runId = await startRun(t.db, { flow, prefix: conn.prefix, retryDelayMs: cfg.retryDelayMs }, { trigger: 'manual', sourceIds: sources.map((s) => s.id) });
  const run = await eventually(async () => {
    const r = await getRun(t.db, runId);
    return r?.status === 'running' ? undefined : r;
  });
  const report = run!.report as RunReport;
  expect(report.status).toBe('partial');
  const by = Object.fromEntries(report.sources.map((s) => [s.sourceId, s]));
  expect(by.flaky).toMatchObject({ status: 'succeeded', attempts: 3, read: 150, inserted: 150, duplicates: 0, reconciled: true });
  expect(by.fine).toMatchObject({ status: 'succeeded', attempts: 1, read: 80, inserted: 80 });
  expect(by.broken).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'E_PAYLOAD_MALFORMED', read: 50, reconciled: true });
  expect(report.failed).toEqual([{ sourceId: 'broken', code: 'E_PAYLOAD_MALFORMED', error: 'injected E_PAYLOAD_MALFORMED' }]);

  // What BullMQ saw: two retries of the transient failure, none of the data error.
  const collect = worker.queues[QUEUE.collect];
  const flaky = await collect.getJob(jobId.collect(runId, 'flaky'));
  expect([await flaky!.getState(), flaky!.attemptsMade]).toEqual(['completed', 3]);
  const broken = await collect.getJob(jobId.collect(runId, 'broken'));
  expect([await broken!.getState(), broken!.attemptsMade, broken!.failedReason]).toEqual(['failed', 1, 'E_PAYLOAD_MALFORMED: injected E_PAYLOAD_MALFORMED']);
  const parent = await worker.queues[QUEUE.report].getJob(jobId.report(runId));
  expect(await parent!.getState()).toBe('completed');
  expect(Object.values(await parent!.getIgnoredChildrenFailures())).toEqual(['E_PAYLOAD_MALFORMED: injected E_PAYLOAD_MALFORMED']);
});
