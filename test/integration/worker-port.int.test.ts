// `credit-etl worker` fails fast: a second worker whose board/metrics port is taken exits non-zero
// with one clear message before it takes any job, and the run completes on the first worker, whose
// /metrics then shows the batch and the run.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getRun, runSources } from '../../store/ledger.ts';
import { CLI, runCli } from '../helpers/cli.ts';
import { deletePrefix, eventually, REDIS_URL, testPrefix } from '../helpers/collect.ts';
import { fixture } from '../helpers/ingest.ts';
import { createTestDb, type TestDb } from '../helpers/pg.ts';

let t: TestDb;
let dir: string;
let env: Record<string, string>;
const children: ChildProcess[] = [];
const prefix = testPrefix();

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

function startWorker() {
  const child = spawn(process.execPath, [CLI, 'worker'], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

beforeAll(async () => {
  t = await createTestDb('worker_port');
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-worker-port-'));
  mkdirSync(path.join(dir, 'drop'));
  copyFileSync(fixture('penalty.csv'), path.join(dir, 'drop', 'penalty.csv'));
  writeFileSync(path.join(dir, 'sources.json'), JSON.stringify({
    sources: [{ id: 'drop', kind: 'drop-folder', category: 'penalty', provider: '临沂市发展和改革委员会', schedule: '0 20 2 * * *', folder: path.join(dir, 'drop'), settleMs: 0 }],
  }));
  env = {
    DATABASE_URL: t.url, REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: prefix, CREDIT_ETL_SOURCES: path.join(dir, 'sources.json'),
    CREDIT_ETL_BOARD_PORT: String(await freePort()), CREDIT_ETL_DATA_DIR: dir,
  };
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  await deletePrefix(REDIS_URL, prefix);
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

it('a second worker on a taken port exits non-zero before taking a job; the run completes on the first', async () => {
  const base = `http://127.0.0.1:${env.CREDIT_ETL_BOARD_PORT}`;
  const first = startWorker();
  await eventually(async () => (await fetch(`${base}/health`).then((r) => r.ok, () => false)) || undefined);

  const second = startWorker();
  expect(await second.exited).toBe(2);
  expect(second.stderr()).toContain(`port ${env.CREDIT_ETL_BOARD_PORT}`);
  expect(second.stderr()).not.toMatch(/\n\s+at /); // one message, no stack

  const run = await runCli(['run', '--all', '--wait', '--json'], env);
  expect(run.stderr).toBe('');
  const report = JSON.parse(run.stdout);
  expect(report.status).toBe('succeeded');
  expect((await getRun(t.db, report.runId))?.status).toBe('succeeded');
  // One attempt: the second worker never started the source.
  expect((await runSources(t.db, report.runId)).map((s) => [s.sourceId, s.status])).toEqual([['drop', 'succeeded']]);
  expect(first.child.exitCode).toBeNull();

  const metrics = await (await fetch(`${base}/metrics`)).text();
  expect(metrics).toMatch(/credit_etl_batches_total\{category="penalty",status="loaded"\} 1/);
  expect(metrics).toMatch(/credit_etl_runs_total\{status="succeeded"\} 1/);
  expect(metrics).toMatch(/bullmq_job_count\{queue="collect", state="completed"\} 1/);
  expect((await fetch(`${base}/ready`)).status).toBe(200);
});
