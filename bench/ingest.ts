// npm run bench -- ingest: ingest throughput of `credit-etl ingest` against `psql \copy` of the same file
// into a typed table with the same natural-key constraint, measured in the same run, as ratios; pgloader
// into the same table is a second peer when it is on PATH (one line says so when it is not).
// BENCH_ROWS (default 1,000,000) rows of synthetic penalty data are generated into BENCH_DIR (default a
// temp folder) and deleted afterwards; nothing is committed. The first load's records copied by psql
// into an empty store show the floor of our table itself. Our runs: a first load into an empty store,
// an identical re-ingest (as shipped, then with --check-every-row), the file again with 5% of its rows amended (every 20th row's 行政处罚内容), two
// processes started together on the penalty file and a licensing file as long (one empty store), the
// GBK twin, the first load again with two parse threads, and a BENCH_MEMORY_ROWS (default 5,000,000;
// 0 skips it) file for peak memory. Every other run has one parse thread (CREDIT_ETL_PARSE_THREADS=1),
// so that the table means the same on any machine.
// "Empty store" means migrated, with no records; the migration is not timed.
// Every run reports the WAL the server wrote meanwhile (server-wide, so run the bench alone); when the
// ingest's --json report has `phases`, they are printed for the first load and the re-ingest.
// Databases are BENCH_DB_PREFIX_<run> (default credit_etl_bench), dropped before and after use, so that
// a second copy of the bench can run under another prefix. Needs PostgreSQL and psql.
import { accessSync, constants, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { generateCsvChunks } from '../testkit/generate-fixtures.ts';
import { csvLine } from '../testkit/synthetic.ts';
import { category, type CategoryId } from '../schemas/registry.ts';
import { dropDatabase } from '../store/databases.ts';
import { CLI } from '../test/helpers/cli.ts';
import { ADMIN_URL, fmt, freshDb, queryValue, since, timed, withWal } from './common.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
/** The memory run: a file this many rows long (0 skips it). */
const MEMORY_ROWS = Number(process.env.BENCH_MEMORY_ROWS ?? 5_000_000);
const dir = process.env.BENCH_DIR ?? mkdtempSync(path.join(tmpdir(), 'credit-etl-bench-'));
const DB_PREFIX = process.env.BENCH_DB_PREFIX ?? 'credit_etl_bench';
const DATABASES = ['copy', 'pgloader', 'ours', 'floor', 'pair', 'gbk', 'threads', 'memory'] as const;
const dbName = (run: (typeof DATABASES)[number]) => `${DB_PREFIX}_${run}`;
/** The amended file changes every CHANGE_EVERY-th row: 5%. */
const CHANGE_EVERY = 20;
/** The peers' table. */
const TYPED = 'penalty_typed';

interface Run { label: string; seconds: number; rows: number; bytes: number; peakRssMb?: number; walBytes?: number }
/** What the runs here read from `credit-etl ingest --json`. */
interface IngestReport { status: string; read: number; inserted: number; updated: number; unchanged: number; recognised?: { rows: number }; phases?: Record<string, number> }
type Ours = Run & { report: IngestReport };

const rowsOf = (cat: CategoryId, rows = ROWS) => generateCsvChunks({ category: cat, rows, seed: 11 });

async function write(file: string, chunks: Iterable<string>, encoding: 'utf-8' | 'gbk' = 'utf-8'): Promise<void> {
  const encode = new Transform({ transform: (chunk, _e, cb) => cb(null, encoding === 'gbk' ? iconv.encode(chunk.toString(), 'gbk') : chunk) });
  await pipeline(Readable.from(chunks), encode, createWriteStream(file));
}

/**
 * The bench's penalty rows again, every CHANGE_EVERY-th with its 行政处罚内容 amended (still valid), as a
 * deliverer's corrected re-delivery. The generator's chunks end on record boundaries, so each parses
 * on its own, quoted cells included. Returns the number of rows changed.
 */
async function writeAmended(file: string): Promise<number> {
  const content = category('penalty').fields.findIndex((f) => f.key === 'content');
  let row = -1; // the header
  let changed = 0;
  function* amend() {
    for (const chunk of rowsOf('penalty')) {
      const records: string[][] = parse(chunk);
      for (const cells of records) {
        if (row++ % CHANGE_EVERY === CHANGE_EVERY - 1) {
          cells[content] += '（更正）';
          changed++;
        }
      }
      yield records.map((cells) => csvLine(cells)).join('\r\n') + '\r\n';
    }
  }
  await write(file, amend());
  return changed;
}

/** A fresh database holding the peers' target: penalty's columns typed, with the natural-key constraint. */
async function typedTable(run: 'copy' | 'pgloader'): Promise<string> {
  const url = await freshDb(dbName(run));
  const spec = category('penalty');
  const type = (k: string) => ({ date: 'date', dateOrLongTerm: 'date', amountWan: 'numeric(18,6)' } as Record<string, string>)[k] ?? 'text';
  const ddl = `CREATE TABLE ${TYPED} (${spec.fields.map((f) => `${f.key} ${type(f.kind)}`).join(', ')}, UNIQUE (${spec.naturalKey.join(', ')}))`;
  await timed('psql', [url, '-q', '-c', ddl], {});
  return url;
}

/** A peer's run, once its table holds every row of the file. */
async function peerRun(label: string, url: string, file: string, r: { seconds: number; peakRssMb: number; walBytes: number; stdout: string }): Promise<Run> {
  const loaded = Number(await queryValue(url, `SELECT count(*) FROM ${TYPED}`));
  if (loaded !== ROWS) throw new Error(`${label}: ${loaded} of ${ROWS} rows loaded\n${r.stdout.slice(-2000)}`);
  return { label, seconds: r.seconds, rows: ROWS, bytes: statSync(file).size, peakRssMb: r.peakRssMb, walBytes: r.walBytes };
}

async function psqlCopy(file: string): Promise<Run> {
  const label = 'psql \\copy into a typed table with the natural-key constraint (baseline)';
  console.error(`${label} …`);
  const url = await typedTable('copy');
  const r = await withWal(() => timed('psql', [url, '-q', '-c', `\\copy ${TYPED} FROM '${file}' WITH (FORMAT csv, HEADER true)`], {}));
  return peerRun(label, url, file, r);
}

// Found without running it: any pgloader run, even --version, leaves a /tmp/pgloader behind.
const onPath = (cmd: string) => (process.env.PATH ?? '').split(path.delimiter).some((d) => {
  try {
    accessSync(path.join(d, cmd), constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

/** pgloader into the baseline's table; undefined when it is not installed (the bench installs nothing). */
async function pgloader(file: string): Promise<Run | undefined> {
  if (!onPath('pgloader')) return undefined;
  const label = 'pgloader into the same typed table';
  console.error(`${label} …`);
  const url = await typedTable('pgloader');
  const columns = category('penalty').fields.map((f) => f.key).join(', ');
  const command = path.join(dir, 'penalty.load');
  const work = path.join(dir, 'pgloader'); // its log and reject files
  // Unquoted empty cells load as NULL and quoted ones as '', as with psql's CSV format.
  writeFileSync(command, `LOAD CSV FROM '${file}' WITH ENCODING utf-8 (${columns})
  INTO ${url.replace(/^postgres:/, 'postgresql:')} TARGET TABLE ${TYPED} (${columns})
  WITH skip header = 1, fields optionally enclosed by '"', fields escaped by double-quote, fields terminated by ','
  SET client_encoding to 'utf8';\n`);
  try {
    const r = await withWal(() => timed('pgloader', ['--root-dir', work, command], {}));
    return await peerRun(label, url, file, r);
  } finally {
    rmSync(command, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A fresh database with the store's schema and no records: migrated here, untimed and outside any WAL
 * window, because two ingests started together on an unmigrated store race to create knex_migrations.
 */
async function emptyStore(run: 'ours' | 'floor' | 'pair' | 'gbk' | 'threads' | 'memory'): Promise<string> {
  const url = await freshDb(dbName(run));
  await timed(process.execPath, [CLI, 'migrate'], { DATABASE_URL: url, LOG_LEVEL: 'warn' });
  return url;
}

async function ours(label: string, file: string, url: string, opts: { category?: CategoryId; rows?: number; env?: Record<string, string>; args?: string[] } = {}): Promise<Ours> {
  const { category: cat = 'penalty', rows = ROWS, env = {}, args = [] } = opts;
  console.error(`${label} …`);
  const r = await timed(process.execPath, [CLI, 'ingest', file, '--category', cat, '--provider', 'ndrc', '--json', ...args], { DATABASE_URL: url, LOG_LEVEL: 'warn', CREDIT_ETL_PARSE_THREADS: '1', ...env });
  const report: IngestReport = JSON.parse(r.stdout);
  if (report.status !== 'loaded' || report.read !== rows) throw new Error(`${label}: ${r.stdout.slice(0, 500)}`);
  return { label, seconds: r.seconds, rows, bytes: statSync(file).size, peakRssMb: r.peakRssMb, report };
}

/**
 * The server's floor for our table: the rows the first load wrote, dumped in COPY binary format, copied
 * by psql into an empty store's credit_records (its five indexes, the jsonb payload). No lookup, no
 * JavaScript: what one backend needs for these rows whatever the client does.
 */
async function tableFloor(loaded: string, csv: string): Promise<Run> {
  const dump = path.join(dir, 'credit_records.bin');
  await timed('psql', [loaded, '-q', '-c', `\\copy credit_records TO '${dump}' WITH (FORMAT binary)`], {});
  try {
    const url = await emptyStore('floor');
    const label = 'psql \\copy of those records (COPY binary) into an empty credit_records: the table\'s floor';
    console.error(`${label} …`);
    const r = await withWal(() => timed('psql', [url, '-q', '-c', `\\copy credit_records FROM '${dump}' WITH (FORMAT binary)`], {}));
    const n = Number(await queryValue(url, 'SELECT count(*) FROM credit_records'));
    if (n !== ROWS) throw new Error(`${label}: ${n} of ${ROWS} rows`);
    return { label, seconds: r.seconds, rows: ROWS, bytes: statSync(csv).size, peakRssMb: r.peakRssMb, walBytes: r.walBytes };
  } finally {
    rmSync(dump, { force: true });
    await dropDatabase(ADMIN_URL, dbName('floor'));
  }
}

/** The amended file into the store that holds the original: only the changed rows may be updated. */
async function changedRun(url: string): Promise<Ours & { changed: number }> {
  const file = path.join(dir, `penalty-${ROWS}.amended.utf8.csv`);
  console.error(`generating the file with every ${CHANGE_EVERY}th row amended …`);
  const changed = await writeAmended(file);
  try {
    const run = await withWal(() => ours(`credit-etl ingest, ${100 / CHANGE_EVERY}% of rows changed`, file, url));
    const { inserted, updated } = run.report;
    if (inserted !== 0 || updated !== changed) throw new Error(`${run.label}: ${changed} rows changed, but the report says inserted ${inserted}, updated ${updated}`);
    return { ...run, changed };
  } finally {
    rmSync(file, { force: true });
  }
}

/** Two ingests started together, on the penalty file and a licensing file as long, into one empty store. */
async function pairRun(penalty: string): Promise<Run> {
  const licensing = path.join(dir, `licensing-${ROWS}.utf8.csv`);
  console.error(`generating ${fmt(ROWS)} licensing rows …`);
  await write(licensing, rowsOf('licensing'));
  try {
    const url = await emptyStore('pair');
    return await withWal(async () => {
      const start = process.hrtime.bigint();
      // Both settle before either failure is thrown, so that cleanup never pulls a file from under a running ingest.
      const settled = await Promise.allSettled([
        ours('credit-etl ingest, penalty, beside licensing', penalty, url),
        ours('credit-etl ingest, licensing, beside penalty', licensing, url, { category: 'licensing' }),
      ]);
      const both = settled.map((s) => {
        if (s.status === 'rejected') throw s.reason;
        return s.value;
      });
      const sum = (f: (r: Run) => number) => f(both[0]) + f(both[1]);
      return {
        label: 'credit-etl ingest, penalty + licensing at once, empty store (peak RSS: the sum)', seconds: since(start),
        rows: sum((r) => r.rows), bytes: sum((r) => r.bytes), peakRssMb: sum((r) => r.peakRssMb ?? 0),
      };
    });
  } finally {
    rmSync(licensing, { force: true });
  }
}

/** A long file for memory: peak RSS must not grow with the file. */
async function memoryRun(): Promise<Run | undefined> {
  if (MEMORY_ROWS <= 0) return undefined;
  const file = path.join(dir, `penalty-${MEMORY_ROWS}.utf8.csv`);
  console.error(`generating ${fmt(MEMORY_ROWS)} penalty rows for the memory run …`);
  await write(file, rowsOf('penalty', MEMORY_ROWS));
  try {
    // 5M rows are ~3.6 GB, past the default 2 GB file limit (CREDIT_ETL_MAX_FILE_MB): raised for this run.
    const limitMb = String(Math.ceil(statSync(file).size / 2 ** 20) + 1);
    const url = await emptyStore('memory');
    return await withWal(() => ours(`credit-etl ingest, UTF-8, ${fmt(MEMORY_ROWS)} rows (memory), empty store`, file, url,
      { rows: MEMORY_ROWS, env: { CREDIT_ETL_MAX_FILE_MB: limitMb } }));
  } finally {
    rmSync(file, { force: true });
  }
}

const rate = (r: Run) => r.rows / r.seconds;
const mb = (bytes: number) => fmt(bytes / 1e6, 1);

function printRuns(runs: readonly Run[], base: Run): void {
  console.log('| run | wall s | rows/s | MB/s | ratio to baseline | peak RSS MB | WAL MB |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of runs) {
    console.log(`| ${r.label} | ${fmt(r.seconds, 1)} | ${fmt(rate(r))} | ${mb(r.bytes / r.seconds)} | ${fmt(rate(r) / rate(base), 2)}x | ${fmt(r.peakRssMb ?? 0)} | ${r.walBytes === undefined ? '–' : mb(r.walBytes)} |`);
  }
}

/** The ingest's own phase timings, when its report has them. */
function printPhases(run: Ours): void {
  if (!run.report.phases) return;
  console.log(`\n${run.label}, by phase:\n`);
  console.log('| phase | ms | share of wall |');
  console.log('|---|---|---|');
  for (const [phase, ms] of Object.entries(run.report.phases)) console.log(`| ${phase} | ${fmt(ms)} | ${fmt((100 * ms) / (run.seconds * 1000), 1)}% |`);
}

const verdict = (met: boolean) => (met ? 'met' : 'missed');

async function main() {
  const utf8 = path.join(dir, `penalty-${ROWS}.utf8.csv`);
  const gbk = path.join(dir, `penalty-${ROWS}.gbk.csv`);
  console.error(`generating ${fmt(ROWS)} penalty rows in ${dir} …`);
  await write(utf8, rowsOf('penalty'));
  await write(gbk, rowsOf('penalty'), 'gbk');
  try {
    const base = await psqlCopy(utf8);
    const loader = await pgloader(utf8);
    const url = await emptyStore('ours');
    const first = await withWal(() => ours('credit-etl ingest, UTF-8, empty store', utf8, url));
    const floor = await tableFloor(url, utf8);
    const again = await withWal(() => ours('credit-etl ingest, identical re-ingest', utf8, url));
    const checked = await withWal(() => ours('credit-etl ingest, identical re-ingest, --check-every-row', utf8, url, { args: ['--check-every-row'] }));
    const changed = await changedRun(url);
    await dropDatabase(ADMIN_URL, dbName('ours'));
    const pair = await pairRun(utf8);
    await dropDatabase(ADMIN_URL, dbName('pair'));
    const gbkUrl = await emptyStore('gbk');
    const gb = await withWal(() => ours('credit-etl ingest, GBK twin, empty store', gbk, gbkUrl));
    rmSync(gbk, { force: true });
    await dropDatabase(ADMIN_URL, dbName('gbk'));
    const threads = await withWal(async () => ours('credit-etl ingest, UTF-8, 2 parse threads, empty store', utf8, await emptyStore('threads'), { env: { CREDIT_ETL_PARSE_THREADS: '2' } }));
    await dropDatabase(ADMIN_URL, dbName('threads'));
    const memory = await memoryRun();

    console.log(`\n${fmt(ROWS)} rows of penalty (${category('penalty').fields.length} columns), ${mb(base.bytes)} MB UTF-8; Node ${process.version}\n`);
    printRuns([base, ...(loader ? [loader] : []), floor, first, again, checked, changed, pair, gb, threads, ...(memory ? [memory] : [])], base);
    console.log('');
    if (!loader) console.log('pgloader: not on PATH, skipped.');
    const reWal = again.walBytes / first.walBytes;
    console.log(`re-ingest: inserted ${again.report.inserted}, updated ${again.report.updated}, unchanged ${fmt(again.report.unchanged)} `
      + `(recognised by fingerprint ${fmt(again.report.recognised?.rows ?? 0)}); ${fmt(again.seconds / checked.seconds, 2)}x the time with every row checked; `
      + `WAL ${fmt(100 * reWal, 1)}% of the first load's (target under 5%: ${verdict(reWal < 0.05)})`);
    const changedRatio = rate(changed) / rate(base);
    console.log(`${100 / CHANGE_EVERY}% changed: ${fmt(changed.changed)} rows amended; updated ${fmt(changed.report.updated)}, inserted ${changed.report.inserted}, `
      + `unchanged ${fmt(changed.report.unchanged)} (recognised ${fmt(changed.report.recognised?.rows ?? 0)}); ${fmt(changedRatio, 2)}x the baseline (target at least 0.4x: ${verdict(changedRatio >= 0.4)})`);
    console.log(`two files at once: ${fmt(pair.rows)} rows in ${fmt(pair.seconds, 1)} s, ${fmt(rate(pair))} rows/s together, ${fmt(rate(pair) / rate(first), 2)}x one file alone (the first load)`);
    console.log(`GBK vs UTF-8 time ${fmt(gb.seconds / first.seconds, 2)}x`);
    console.log(`parse threads, first load on ${availableParallelism()} cores: 1 thread ${fmt(rate(first))} rows/s, 2 threads ${fmt(rate(threads))} rows/s (${fmt(rate(threads) / rate(first), 2)}x)`);
    printPhases(first);
    printPhases(again);
    printPhases(changed);
  } finally {
    if (!process.env.BENCH_DIR) rmSync(dir, { recursive: true, force: true });
    for (const run of DATABASES) await dropDatabase(ADMIN_URL, dbName(run));
  }
}

await main();
