// npm run bench: ingest throughput of `credit-etl ingest` against `psql \copy` of the same file into
// a typed table with the same natural-key constraint, measured in the same run, as ratios.
// BENCH_ROWS (default 1,000,000) rows of synthetic penalty data are generated into BENCH_DIR (default
// a temp folder) and deleted afterwards; nothing is committed. Needs PostgreSQL and psql.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import iconv from 'iconv-lite';
import { generateCsvChunks } from '../fixtures/generate.ts';
import { category } from '../schemas/registry.ts';
import { createDatabase, dropDatabase } from '../store/databases.ts';
import { CLI } from '../test/helpers/cli.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const dir = process.env.BENCH_DIR ?? mkdtempSync(path.join(tmpdir(), 'credit-etl-bench-'));

interface Run { label: string; seconds: number; rows: number; bytes: number; peakRssMb?: number }

async function freshDb(name: string): Promise<string> {
  await dropDatabase(ADMIN_URL, name);
  return createDatabase(ADMIN_URL, name);
}

/** Runs a command, sampling its peak resident set (VmHWM) from /proc while it runs. */
function timed(cmd: string, args: string[], env: Record<string, string>): Promise<{ seconds: number; peakRssMb: number; stdout: string }> {
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
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`));
      else resolve({ seconds, peakRssMb: peak / 1024, stdout });
    });
  });
}

async function generate(file: string, encoding: 'utf-8' | 'gbk'): Promise<void> {
  const encode = new Transform({ transform: (chunk, _e, cb) => cb(null, encoding === 'gbk' ? iconv.encode(chunk.toString(), 'gbk') : chunk) });
  await pipeline(Readable.from(generateCsvChunks({ category: 'penalty', rows: ROWS, seed: 11 })), encode, createWriteStream(file));
}

async function psqlCopy(file: string): Promise<Run> {
  const url = await freshDb('credit_etl_bench_copy');
  const spec = category('penalty');
  const type = (k: string) => ({ date: 'date', dateOrLongTerm: 'date', amountWan: 'numeric(18,6)' } as Record<string, string>)[k] ?? 'text';
  const ddl = `CREATE TABLE penalty_typed (${spec.fields.map((f) => `${f.key} ${type(f.kind)}`).join(', ')}, UNIQUE (${spec.naturalKey.join(', ')}))`;
  await timed('psql', [url, '-q', '-c', ddl], {});
  const r = await timed('psql', [url, '-q', '-c', `\\copy penalty_typed FROM '${file}' WITH (FORMAT csv, HEADER true)`], {});
  return { label: 'psql \\copy into a typed table with the natural-key constraint (baseline)', seconds: r.seconds, rows: ROWS, bytes: statSync(file).size, peakRssMb: r.peakRssMb };
}

async function ours(label: string, file: string, url: string): Promise<Run & { report: any }> {
  const r = await timed(process.execPath, [CLI, 'ingest', file, '--category', 'penalty', '--provider', 'ndrc', '--json'], { DATABASE_URL: url, LOG_LEVEL: 'warn' });
  const report = JSON.parse(r.stdout);
  if (report.status !== 'loaded' || report.read !== ROWS) throw new Error(`${label}: ${r.stdout.slice(0, 500)}`);
  return { label, seconds: r.seconds, rows: ROWS, bytes: statSync(file).size, peakRssMb: r.peakRssMb, report };
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main() {
  const utf8 = path.join(dir, `penalty-${ROWS}.utf8.csv`);
  const gbk = path.join(dir, `penalty-${ROWS}.gbk.csv`);
  console.error(`generating ${fmt(ROWS)} penalty rows in ${dir} …`);
  await generate(utf8, 'utf-8');
  await generate(gbk, 'gbk');
  try {
    const base = await psqlCopy(utf8);
    const url = await freshDb('credit_etl_bench_ours');
    const first = await ours('credit-etl ingest, UTF-8, empty store', utf8, url);
    const again = await ours('credit-etl ingest, identical re-ingest', utf8, url);
    const gbkUrl = await freshDb('credit_etl_bench_gbk');
    const gb = await ours('credit-etl ingest, GBK twin, empty store', gbk, gbkUrl);
    const runs: Run[] = [base, first, again, gb];
    console.log(`\n${fmt(ROWS)} rows of penalty (${category('penalty').fields.length} columns), ${fmt(base.bytes / 1e6, 1)} MB UTF-8; Node ${process.version}\n`);
    console.log('| run | wall s | rows/s | MB/s | ratio to baseline | peak RSS MB |');
    console.log('|---|---|---|---|---|---|');
    for (const r of runs) {
      console.log(`| ${r.label} | ${fmt(r.seconds, 1)} | ${fmt(r.rows / r.seconds)} | ${fmt(r.bytes / 1e6 / r.seconds, 1)} | ${fmt(base.seconds / r.seconds, 2)}x | ${fmt(r.peakRssMb ?? 0)} |`);
    }
    console.log(`\nre-ingest: inserted ${again.report.inserted}, updated ${again.report.updated}, unchanged ${fmt(again.report.unchanged)}; GBK vs UTF-8 time ${fmt(gb.seconds / first.seconds, 2)}x`);
  } finally {
    if (!process.env.BENCH_DIR) rmSync(dir, { recursive: true, force: true });
    for (const n of ['copy', 'ours', 'gbk']) await dropDatabase(ADMIN_URL, `credit_etl_bench_${n}`);
  }
}

await main();
