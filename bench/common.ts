// Helpers the benchmarks share: the server URL, throwaway databases, one-value queries, WAL written,
// timed child processes, number formatting.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { createDatabase, dropDatabase } from '../store/databases.ts';

export const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Drops the database if it is there and creates it empty; returns its URL. */
export async function freshDb(name: string): Promise<string> {
  await dropDatabase(ADMIN_URL, name);
  return createDatabase(ADMIN_URL, name);
}

/** The first column of the first row of `sql`, as the driver returns it. */
export async function queryValue(url: string, sql: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query({ text: sql, rowMode: 'array' })).rows[0][0];
  } finally {
    await client.end();
  }
}

/**
 * `run`, and the WAL bytes the server wrote meanwhile. pg_current_wal_lsn() is server-wide: it also
 * counts other sessions, other databases and autovacuum, so benchmarks that report it run alone.
 */
export async function withWal<T extends object>(run: () => Promise<T>): Promise<T & { walBytes: number }> {
  const before = String(await queryValue(ADMIN_URL, 'SELECT pg_current_wal_lsn()'));
  const result = await run();
  const bytes = await queryValue(ADMIN_URL, `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${before}')`);
  return { ...result, walBytes: Number(bytes) };
}

/** Runs a command, sampling its peak resident set (VmHWM) from /proc while it runs. */
export function timed(cmd: string, args: string[], env: Record<string, string>): Promise<{ seconds: number; peakRssMb: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let peak = 0;
    child.stdout.on('data', (d) => (stdout += d));
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]));
      } catch { /* exited */ }
    };
    const timer = setInterval(sample, 100);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      const seconds = since(start);
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`));
      else resolve({ seconds, peakRssMb: peak / 1024, stdout });
    });
  });
}

export const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** Seconds since `start` (a process.hrtime.bigint()). */
export const since = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
