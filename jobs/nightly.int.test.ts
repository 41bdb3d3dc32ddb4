// Acceptance 1: a nightly run through real Redis, PostgreSQL and the stand-in providers, processed by
// the real `credit-etl worker`: all seven categories land, every source's counts reconcile in the run
// report, and running the same night again changes nothing in the store.
import { spawn, type ChildProcess } from 'node:child_process';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_SOURCES_FILE } from '../connectors/sources.ts';
import { PER_ENTERPRISE } from '../testkit/stand-ins/apis.ts';
import { seedAuthorisations, type SeededAuthorisations } from '../testkit/stand-ins/seed-authorisations.ts';
import { startStandIns, type StandIns } from '../testkit/stand-ins/stand-ins.ts';
import { loadCollectionConfig } from '../config/config.ts';
import { CATEGORY_IDS } from '../schemas/registry.ts';
import { CLI, runCli } from '../test/helpers/cli.ts';
import { deletePrefix, eventually, REDIS_URL, testPrefix } from '../test/helpers/collect.ts';
import { ADMIN_URL, createTestDb, TEST_AUDIT_KEY, type TestDb } from '../test/helpers/pg.ts';
import { loadCatalog } from './catalog.ts';
import { connectQueues, type QueueConnection } from './connection.ts';
import { listRuns, type RunRow } from '../store/ledger.ts';
import { QUEUE, type JobPayloads } from './queues.ts';
import type { RunReport } from './report.ts';

const cfg = loadCollectionConfig({ REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: testPrefix() });
let t: TestDb;
let s: StandIns;
let conn: QueueConnection;
let env: Record<string, string>;
let grants: SeededAuthorisations;
let worker: ChildProcess;
let workerExit: Promise<number | null>;
let workerErr = '';

beforeAll(async () => {
  t = await createTestDb('nightly');
  s = await startStandIns({ adminUrl: ADMIN_URL });
  grants = await seedAuthorisations(t.db, s);
  conn = connectQueues(cfg);
  env = {
    ...s.env, DATABASE_URL: t.url, CREDIT_ETL_AUDIT_KEY: TEST_AUDIT_KEY, REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: cfg.queuePrefix, CREDIT_ETL_SOURCES: DEMO_SOURCES_FILE,
    CREDIT_ETL_BOARD_PORT: '0', CREDIT_ETL_RETRY_DELAY_MS: '200', LOG_LEVEL: 'warn',
  };
  worker = spawn(process.execPath, [CLI, 'worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  worker.stderr!.on('data', (d) => (workerErr += d));
  workerExit = new Promise((resolve) => worker.once('exit', (code) => resolve(code)));
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await conn?.connection.quit();
  await deletePrefix(REDIS_URL, cfg.queuePrefix);
  await s?.close();
  await t?.drop();
});

const snapshot = async () => t.db.knex('credit_records').orderBy(['category', 'natural_key']).select('category', 'natural_key', 'content_hash', 'version', 'batch_id');

it('collects every source nightly through the real worker, reconciles, and a second run changes nothing', async () => {
  // What the job scheduler does at night: a trigger job naming the sources of that schedule.
  const sourceIds = loadCatalog(DEMO_SOURCES_FILE, { ...process.env, ...s.env }).sources.map((x) => x.id);
  const trigger = new Queue<JobPayloads[typeof QUEUE.trigger]>(QUEUE.trigger, { connection: conn.connection, prefix: conn.prefix });
  await trigger.add('nightly', { sourceIds });
  await trigger.close();
  const run: RunRow = await eventually(async () => {
    const [r] = await listRuns(t.db, 1);
    return r && r.status !== 'running' ? r : undefined;
  });
  expect(run.trigger).toBe('schedule');
  const report = run.report as RunReport;
  expect(report.failed).toEqual([]);
  expect(report.status).toBe('succeeded');
  expect(report.sources.map((x) => x.sourceId).sort()).toEqual([...sourceIds].sort());
  for (const x of report.sources) {
    expect(x.reconciled, x.sourceId).toBe(true);
    expect(x.read, x.sourceId).toBeGreaterThan(0);
    expect(x.rejected, x.sourceId).toBe(0);
  }
  const landed = await t.db.knex('credit_records').distinct('category').pluck('category');
  expect(landed.sort()).toEqual([...CATEGORY_IDS].sort());
  // Per-enterprise providers were asked only about enterprises with an authorisation in force.
  for (const api of PER_ENTERPRISE) {
    const asked = new Set(s.calls.list(api).map((c) => c.uscc));
    expect(asked.size, api).toBeGreaterThan(0);
    for (const uscc of asked) expect(grants.inForce[api], `${api} ${uscc}`).toContain(uscc);
  }
  // Measure item 6: after its report, the run's enterprises are re-evaluated and stored.
  const everyEnterprise = new Set(await t.db.knex('credit_records').distinct('subject_uscc').pluck('subject_uscc'));
  const evaluated = await eventually(async () => {
    const rows = await t.db.knex('credit_evaluations').where({ trigger: `run:${run.id}`, tier: 'public' }).pluck('uscc');
    return rows.length === everyEnterprise.size ? rows : undefined;
  });
  expect(new Set(evaluated)).toEqual(everyEnterprise);
  const total = report.sources.reduce((n, x) => n + x.inserted, 0);
  expect(Number((await t.db.knex('credit_records').count({ n: '*' }))[0].n)).toBe(total);
  const before = await snapshot();

  // The same night again, by hand through the CLI: every record is already there, unchanged.
  const again = await runCli(['run', '--all', '--wait', '--json'], env);
  expect(again.code, again.stderr).toBe(0);
  const second = JSON.parse(again.stdout) as RunReport;
  expect(second.status).toBe('succeeded');
  for (const x of second.sources) expect([x.sourceId, x.inserted, x.updated, x.reconciled]).toEqual([x.sourceId, 0, 0, true]);
  expect(await snapshot()).toEqual(before);

  // Without REDIS_URL the same run happens in-process, through the same ledger.
  const local = await runCli(['run', '--connector', 'water-utility-api', '--json'], { ...env, REDIS_URL: '' });
  expect(local.code, local.stderr).toBe(0);
  expect(JSON.parse(local.stdout).sources).toMatchObject([{ sourceId: 'water-utility-api', status: 'succeeded', inserted: 0, updated: 0 }]);
  const runs = await runCli(['runs', '--json'], env);
  expect(JSON.parse(runs.stdout).map((r: RunRow) => [r.trigger, r.status])).toEqual([['manual', 'succeeded'], ['manual', 'succeeded'], ['schedule', 'succeeded']]);
});

it('retries a provider that answers 500 until it recovers; a 400 fails that source only, and the report says which and why', async () => {
  // More 500s than the connector's own retries (1 + 4 requests): the job fails once and is retried.
  s.control.api('enforcement').fail(500, 6);
  s.control.api('licensing').fail(400, 1);
  const r = await runCli(['run', '--all', '--wait', '--json'], env);
  expect(r.code).toBe(1);
  const report = JSON.parse(r.stdout) as RunReport;
  expect(report.status).toBe('partial');
  const by = Object.fromEntries(report.sources.map((x) => [x.sourceId, x]));
  expect(by['enforcement-platform-api']).toMatchObject({ status: 'succeeded', attempts: 2, reconciled: true });
  expect(by['licensing-platform-api']).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'E_PROVIDER_REJECTED' });
  expect(report.failed).toEqual([{ sourceId: 'licensing-platform-api', code: 'E_PROVIDER_REJECTED', error: expect.stringContaining('HTTP 400') }]);
  for (const x of report.sources.filter((y) => y.sourceId !== 'licensing-platform-api')) expect(x.status, x.sourceId).toBe('succeeded');
});

it('the next run picks up exactly what the providers added and changed, including rows tied on the cursor at the boundary', async () => {
  s.control.api('penalty').add(3);
  s.control.api('penalty').modify(2);
  await s.control.sourceDb!.add(2, { atLatest: true });
  const r = await runCli(['run', '--connector', 'penalty-platform-api', '--connector', 'enforcement-bigdata-db', '--connector', 'gas-utility-api', '--wait', '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  const by = Object.fromEntries((JSON.parse(r.stdout) as RunReport).sources.map((x) => [x.sourceId, x]));
  expect(by['penalty-platform-api']).toMatchObject({ read: 5, inserted: 3, updated: 2, reconciled: true });
  expect(by['enforcement-bigdata-db']).toMatchObject({ inserted: 2, updated: 0, reconciled: true });
  expect(by['gas-utility-api']).toMatchObject({ inserted: 0, updated: 0, reconciled: true });
});

it('the worker shuts down gracefully on SIGTERM: it closes its queues and connections and exits by itself', async () => {
  worker.kill('SIGTERM');
  expect(await workerExit, workerErr).toBe(0);
});

it('without CREDIT_ETL_SOURCES the worker serves queued uploads only; run --wait says when no collection worker is connected', async () => {
  const { CREDIT_ETL_SOURCES: _sources, ...uploadsOnlyEnv } = env;
  const uploads = spawn(process.execPath, [CLI, 'worker', '--no-board'], { env: { ...process.env, ...uploadsOnlyEnv, CREDIT_ETL_SOURCES: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let uploadsErr = '';
  uploads.stderr!.on('data', (d) => (uploadsErr += d));
  const waiting = spawn(process.execPath, [CLI, 'run', '--connector', 'gas-utility-api', '--wait'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let waitingErr = '';
  waiting.stderr!.on('data', (d) => (waitingErr += d));
  try {
    await eventually(async () => (uploadsErr.includes('handles queued uploads only') ? true : undefined));
    expect(uploads.exitCode).toBeNull();
    const warned = await eventually(async () => /no collection worker is connected to \S+: run (\S+) waits in the queue/.exec(waitingErr) ?? undefined);
    expect(waiting.exitCode).toBeNull();
    // The uploads-only worker does not take the run: it stays queued, untouched.
    expect(await t.db.knex('collection_run_sources').where({ run_id: warned[1] }).select('status', 'attempts')).toEqual([{ status: 'queued', attempts: 0 }]);
  } finally {
    waiting.kill('SIGKILL');
    uploads.kill('SIGTERM');
  }
  expect(await new Promise((resolve) => (uploads.exitCode !== null ? resolve(uploads.exitCode) : uploads.once('exit', resolve))), uploadsErr).toBe(0);
});
