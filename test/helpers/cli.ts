import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { createTestDb, TEST_AUDIT_KEY, type TestDb } from './pg.ts';

export const CLI = fileURLToPath(new URL('../../bin/credit-etl.mjs', import.meta.url));

// The checkout's own ./data may hold the checkpoints of a store someone served from it, signed with
// another key: a run that names no data folder keeps its checkpoints in the test process's own.
const checkpoints = mkdtempSync(path.join(tmpdir(), 'credit-etl-cli-checkpoints-'));
process.on('exit', () => rmSync(checkpoints, { recursive: true, force: true }));

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Runs the real CLI in a child process, with the tests' audit key; env replaces DATABASE_URL and friends for the run. */
export function runCli(args: readonly string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const own = env.CREDIT_ETL_DATA_DIR || env.CREDIT_ETL_AUDIT_CHECKPOINT_DIR ? {} : { CREDIT_ETL_AUDIT_CHECKPOINT_DIR: checkpoints };
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', CREDIT_ETL_AUDIT_KEY: TEST_AUDIT_KEY, ...own, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface CliStore {
  readonly t: TestDb;
  /** A scratch folder for the files a test writes, removed with the store. */
  readonly dir: string;
  /** What runCli is given: the store's URL, and the scratch folder as data folder when asked. */
  readonly env: Record<string, string>;
}

/** A test file's own store and scratch folder for CLI runs: made before its tests, dropped after them. */
export function cliStore(label: string, o: { dataDir?: boolean } = {}): CliStore {
  const s = {} as { t: TestDb; dir: string; env: Record<string, string> };
  beforeAll(async () => {
    s.t = await createTestDb(label);
    s.dir = mkdtempSync(path.join(tmpdir(), `credit-etl-${label}-`));
    s.env = { DATABASE_URL: s.t.url, ...(o.dataDir ? { CREDIT_ETL_DATA_DIR: s.dir } : {}) };
  });
  afterAll(async () => {
    await s.t?.drop();
    if (s.dir) rmSync(s.dir, { recursive: true, force: true });
  });
  return s;
}
