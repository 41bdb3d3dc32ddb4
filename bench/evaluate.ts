// npm run bench -- evaluate: `credit-etl evaluate --all` in enterprises per second. BENCH_ENTERPRISES
// (default 1,000) enterprises get synthetic 行政许可, 行政处罚 and 行政强制 batches through the real
// pipeline (the generator's pool gives each about 20 records per category, ~60 in all: heavier than
// the ~10 a typical enterprise has), then:
//   1. the engine over the store in this process (pages of 1,000 USCCs: one history-aware read, then
//      evaluate both tiers), nothing stored;
//   2. the real command `credit-etl evaluate --all --store` in a process of its own (start-up
//      included), storing every evaluation as the nightly run does.
// Built for 100k enterprises (keyset pages, one query per page, evaluations appended per page, no
// per-enterprise round trip); run it at that size with BENCH_ENTERPRISES=100000 on an idle machine.
// BENCH_KEEP_DB=1 keeps the loaded store; BENCH_REUSE_DB=1 then evaluates it again without loading.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { writeCsvFile } from '../testkit/generate-fixtures.ts';
import { shippedCard } from '../evaluation/card.ts';
import { allEnterprises, evaluatePages } from '../evaluation/bulk.ts';
import { ingestFile } from '../ingest/ingest-file.ts';
import { findCategory, findProviderUnit } from '../schemas/registry.ts';
import { databaseUrl, dropDatabase } from '../store/databases.ts';
import { openDb } from '../store/db.ts';
import { migrateLatest } from '../store/migrate.ts';
import { CLI } from '../test/helpers/cli.ts';
import { ADMIN_URL, fmt, freshDb, since, timed } from './common.ts';

const ENTERPRISES = Number(process.env.BENCH_ENTERPRISES ?? 1_000);
const DB_NAME = 'credit_etl_bench_evaluate';
const say = (s: string) => process.stderr.write(`${s}\n`);

const reuse = process.env.BENCH_REUSE_DB === '1';
const url = reuse ? databaseUrl(ADMIN_URL, DB_NAME) : await freshDb(DB_NAME);
const dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-bench-eval-'));
const db = await openDb({ databaseUrl: url, dataDir: '' });
try {
  await migrateLatest(db.knex);
  const loadStart = process.hrtime.bigint();
  for (const category of reuse ? [] : ['licensing', 'penalty', 'enforcement'] as const) {
    const file = path.join(dir, `${category}.csv`);
    await writeCsvFile(file, { category, rows: ENTERPRISES * 20, seed: 18, enterprises: ENTERPRISES });
    const r = await ingestFile(db, { file, category: findCategory(category)!, deliverer: findProviderUnit('市发展改革委')! }, { log: pino({ level: 'silent' }) });
    say(`loaded ${category}: ${fmt(r.inserted)} records`);
  }
  const [{ n: records }] = await db.knex('credit_records').count('* as n');
  const [{ n: enterprises }] = await db.knex('credit_records').countDistinct('subject_uscc as n');
  say(`store: ${fmt(Number(records))} records of ${fmt(Number(enterprises))} enterprises in ${fmt(since(loadStart), 1)} s`);

  const card = shippedCard('basic-v1');
  const now = new Date();
  const asOf = now.toISOString().slice(0, 10);
  const start = process.hrtime.bigint();
  let n = 0;
  const grades = new Map<string, number>();
  for await (const e of evaluatePages(db, allEnterprises(db, asOf, now), { card, asOf, now })) {
    n++;
    grades.set(e.public.grade, (grades.get(e.public.grade) ?? 0) + 1);
  }
  const engine = since(start);
  await db.knex('credit_evaluations').delete(); // a reused store starts from none stored
  const cli = await timed(process.execPath, [CLI, 'evaluate', '--all', '--store'], { DATABASE_URL: url, LOG_LEVEL: 'warn' });
  const [{ n: stored }] = await db.knex('credit_evaluations').count('* as n');
  console.log(`\n| evaluate --all (${fmt(n)} enterprises, ${fmt(Number(records))} records) | seconds | enterprises/s |`);
  console.log('|---|---:|---:|');
  console.log(`| engine over the store, in process, nothing stored | ${fmt(engine, 2)} | ${fmt(n / engine)} |`);
  console.log(`| \`credit-etl evaluate --all --store\` (own process, start-up included; ${fmt(Number(stored))} stored) | ${fmt(cli.seconds, 2)} | ${fmt(n / cli.seconds)} |`);
  console.log(`\npublic-tier grades: ${[...grades].sort().map(([g, c]) => `${g} ${c}`).join(', ')}; peak RSS of the command ${fmt(cli.peakRssMb)} MB`);
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  if (process.env.BENCH_KEEP_DB !== '1') await dropDatabase(ADMIN_URL, DB_NAME);
}
