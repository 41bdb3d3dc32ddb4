import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_AUDIT_KEY } from './pg.ts';

export const CLI = fileURLToPath(new URL('../../bin/credit-etl.mjs', import.meta.url));

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Runs the real CLI in a child process, with the tests' audit key; env replaces DATABASE_URL and friends for the run. */
export function runCli(args: readonly string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', CREDIT_ETL_AUDIT_KEY: TEST_AUDIT_KEY, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
