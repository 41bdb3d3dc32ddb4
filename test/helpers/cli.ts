import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_AUDIT_KEY } from './pg.ts';

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
