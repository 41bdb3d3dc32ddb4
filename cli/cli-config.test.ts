// The command line before it touches any service: --version, --help (variables, exit codes,
// examples), and configuration errors as one message with exit 2, never a stack.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV } from '../config/config.ts';
import { runCli } from '../test/helpers/cli.ts';

const STACK = /\n\s+at /;
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

describe('credit-etl without services', () => {
  it('--version prints the package version', async () => {
    const r = await runCli(['--version'], {});
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('--help lists every environment variable, the exit codes and examples, even with a bad DATABASE_URL', async () => {
    const r = await runCli(['--help'], { DATABASE_URL: 'mysql://nope', CREDIT_ETL_BOARD_PORT: 'x' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const name of Object.keys(ENV)) expect(r.stdout).toContain(name);
    expect(r.stdout).toMatch(/Exit codes:[\s\S]*\n {2}2 {2}usage or configuration error/);
    expect(r.stdout).toMatch(/Examples:[\s\S]*npx credit-etl worker/);
    expect(r.stdout).toContain('pino-pretty');
  });

  it('a bad DATABASE_URL is one clear message and exit 2, no stack', async () => {
    const r = await runCli(['batches'], { DATABASE_URL: 'mysql://user@host/db' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DATABASE_URL must be a postgres:// URL');
    expect(r.stderr).toContain('mysql://user@host/db');
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stdout).toBe('');
  });

  it('every bad variable of a collection command is listed at once, exit 2', async () => {
    const r = await runCli(['schedule'], { REDIS_URL: 'http://x', CREDIT_ETL_BOARD_PORT: '99999', CREDIT_ETL_JOB_LOCK_MS: '10' });
    expect(r.code).toBe(2);
    expect(r.stderr.match(/^- /gm)).toHaveLength(3);
    expect(r.stderr).toMatch(/REDIS_URL must be a redis:\/\/ URL/);
    expect(r.stderr).toMatch(/CREDIT_ETL_BOARD_PORT must be a port number/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('an unreachable database is one line and exit 1, no stack', async () => {
    const r = await runCli(['batches'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot connect: connect ECONNREFUSED 127.0.0.1:1');
    expect(r.stderr).not.toMatch(STACK);
  });

  it('the demo sources without the stand-ins: exit 2, every problem, and how to start them', async () => {
    const r = await runCli(['schedule'], { CREDIT_ETL_SOURCES: 'connectors/sources.demo.json', REDIS_URL: 'redis://127.0.0.1:1', STANDIN_DROP_DIR: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('STANDIN_LICENSING_URL');
    expect(r.stderr).toContain('npx credit-etl stand-ins');
    expect(r.stderr).not.toMatch(STACK);
  });
});
