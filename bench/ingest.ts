// npm run bench: ingest throughput of `credit-etl ingest` against `psql \copy` of the same file into
// a typed table with the same natural-key constraint, measured in the same run, as ratios.
// BENCH_ROWS (default 1,000,000) rows of synthetic penalty data are generated into BENCH_DIR (default
// a temp folder) and deleted afterwards; nothing is committed. Then a BENCH_MEMORY_ROWS (default
// 5,000,000; 0 skips it) file for peak memory. Needs PostgreSQL and psql.
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import iconv from 'iconv-lite';
import { generateCsvChunks } from '../testkit/generate-fixtures.ts';
import { category } from '../schemas/registry.ts';
import { dropDatabase } from '../store/databases.ts';
import { CLI } from '../test/helpers/cli.ts';
import { ADMIN_URL, fmt, freshDb, timed } from './common.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
/** The memory run: a file this many rows long (0 skips it). */
const MEMORY_ROWS = Number(process.env.BENCH_MEMORY_ROWS ?? 5_000_000);
const dir = process.env.BENCH_DIR ?? mkdtempSync(path.join(tmpdir(), 'credit-etl-bench-'));

interface Run { label: string; seconds: number; rows: number; bytes: number; peakRssMb?: number }

async function generate(file: string, encoding: 'utf-8' | 'gbk', rows = ROWS): Promise<void> {
  const encode = new Transform({ transform: (chunk, _e, cb) => cb(null, encoding === 'gbk' ? iconv.encode(chunk.toString(), 'gbk') : chunk) });
  await pipeline(Readable.from(generateCsvChunks({ category: 'penalty', rows, seed: 11 })), encode, createWriteStream(file));
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

async function ours(label: string, file: string, url: string, rows = ROWS, env: Record<string, string> = {}): Promise<Run & { report: any }> {
  const r = await timed(process.execPath, [CLI, 'ingest', file, '--category', 'penalty', '--provider', 'ndrc', '--json'], { DATABASE_URL: url, LOG_LEVEL: 'warn', ...env });
  const report = JSON.parse(r.stdout);
  if (report.status !== 'loaded' || report.read !== rows) throw new Error(`${label}: ${r.stdout.slice(0, 500)}`);
  return { label, seconds: r.seconds, rows, bytes: statSync(file).size, peakRssMb: r.peakRssMb, report };
}

/** A long file for memory: peak RSS must not grow with the file. */
async function memoryRun(): Promise<Run | undefined> {
  if (MEMORY_ROWS <= 0) return undefined;
  const file = path.join(dir, `penalty-${MEMORY_ROWS}.utf8.csv`);
  console.error(`generating ${fmt(MEMORY_ROWS)} penalty rows for the memory run …`);
  await generate(file, 'utf-8', MEMORY_ROWS);
  try {
    // 5M rows are ~3.6 GB, past the default 2 GB file limit (CREDIT_ETL_MAX_FILE_MB): raised for this run.
    const limitMb = String(Math.ceil(statSync(file).size / 2 ** 20) + 1);
    return await ours(`credit-etl ingest, UTF-8, ${fmt(MEMORY_ROWS)} rows (memory), empty store`, file, await freshDb('credit_etl_bench_memory'), MEMORY_ROWS, { CREDIT_ETL_MAX_FILE_MB: limitMb });
  } finally {
    rmSync(file, { force: true });
  }
}


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
    rmSync(gbk, { force: true });
    await dropDatabase(ADMIN_URL, 'credit_etl_bench_gbk');
    const memory = await memoryRun();
    const runs: Run[] = [base, first, again, gb, ...(memory ? [memory] : [])];
    console.log(`\n${fmt(ROWS)} rows of penalty (${category('penalty').fields.length} columns), ${fmt(base.bytes / 1e6, 1)} MB UTF-8; Node ${process.version}\n`);
    console.log('| run | wall s | rows/s | MB/s | ratio to baseline | peak RSS MB |');
    console.log('|---|---|---|---|---|---|');
    for (const r of runs) {
      console.log(`| ${r.label} | ${fmt(r.seconds, 1)} | ${fmt(r.rows / r.seconds)} | ${fmt(r.bytes / 1e6 / r.seconds, 1)} | ${fmt((r.rows / r.seconds) / (base.rows / base.seconds), 2)}x | ${fmt(r.peakRssMb ?? 0)} |`);
    }
    console.log(`\nre-ingest: inserted ${again.report.inserted}, updated ${again.report.updated}, unchanged ${fmt(again.report.unchanged)}; GBK vs UTF-8 time ${fmt(gb.seconds / first.seconds, 2)}x`);
  } finally {
    if (!process.env.BENCH_DIR) rmSync(dir, { recursive: true, force: true });
    for (const n of ['copy', 'ours', 'gbk', 'memory']) await dropDatabase(ADMIN_URL, `credit_etl_bench_${n}`);
  }
}

await main();
