// Commit-to-webhook latency: one penalty batch of BENCH_RECORDS records (default 100,000) over
// 20,000 enterprises, BENCH_WATCHED of them (default 1,000) watched by one institution whose endpoint
// is a local receiver. The clock starts when the batch's commit returns; each webhook's latency is
// its arrival at the receiver. Also: what writing the outbox adds to the batch (events per second).
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { connectQueues } from '../jobs/connection.ts';
import { startAlertWorker } from '../jobs/alerts.ts';
import { loadCollectionConfig } from '../config/config.ts';
import { addEndpoint, alertStats } from '../store/alerts.ts';
import { openDb } from '../store/db.ts';
import { migrateLatest } from '../store/migrate.ts';
import { registerInstitution } from '../store/institutions.ts';
import { upsertWatches } from '../store/watches.ts';
import { deliver, penalty } from '../test/helpers/alerts.ts';
import { deletePrefix, testPrefix } from '../test/helpers/collect.ts';
import { startReceiver } from '../test/helpers/webhook-receiver.ts';
import { enterprisePool } from '../testkit/synthetic.ts';
import { ADMIN_URL, fmt, freshDb } from './common.ts';
import { dropDatabase } from '../store/databases.ts';

const RECORDS = Number(process.env.BENCH_RECORDS || 100_000);
const WATCHED = Number(process.env.BENCH_WATCHED || 1_000);
const ENTERPRISES = Math.max(WATCHED, Math.min(20_000, RECORDS));
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const NAME = 'credit_etl_bench_alerts';

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

const url = await freshDb(NAME);
const db = await openDb({ databaseUrl: url, dataDir: '' } as never);
const rx = await startReceiver();
const cfg = loadCollectionConfig({ REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: testPrefix() });
const conn = connectQueues(cfg);
try {
  await migrateLatest(db.knex);
  const pool = enterprisePool('bench-alerts', ENTERPRISES);
  await deliver(db, 'penalty', [penalty(0, pool[0].uscc)]); // the category's backfill
  const bank = (await registerInstitution(db, '基准测试银行')).institution;
  await upsertWatches(db, bank.id, pool.slice(0, WATCHED).map((e) => ({ subjectUscc: e.uscc, eventTypes: [] })), 'bench');
  await addEndpoint(db, { institutionId: bank.id, url: rx.url, maxInFlight: 8, allowInternal: true });
  const arrivals = new Map<string, number>();
  rx.respond = ({ id }) => {
    if (!arrivals.has(id)) arrivals.set(id, performance.now());
    return 200;
  };
  const worker = startAlertWorker({ db, conn, log: pino({ level: 'warn' }), pollMs: 100, concurrency: 8 });
  // Every watched enterprise gets records; the rest spread over the pool.
  const rows = Array.from({ length: RECORDS }, (_, i) => penalty(i + 1, pool[i % ENTERPRISES].uscc));
  const t0 = performance.now();
  const b = await deliver(db, 'penalty', rows);
  const committed = performance.now();
  const events = Number((await db.knex('credit_events').where({ batch_id: b.batchId }).count('* as n'))[0].n);
  const expected = Number((await db.knex.raw(`SELECT count(*) AS n FROM credit_events e JOIN watches w ON w.subject_uscc = e.subject_uscc WHERE e.batch_id = ?`, [b.batchId])).rows[0].n);
  for (;;) {
    if (arrivals.size >= expected) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const drained = performance.now();
  const lat = [...arrivals.values()].map((t) => t - committed).sort((x, y) => x - y);
  const stats = await alertStats(db, new Date());
  const http = (await db.knex.raw(`SELECT avg(duration_ms) AS avg, max(duration_ms) AS max, count(*) AS n FROM webhook_attempts`)).rows[0];
  await worker.close();
  console.log(`\nalerts: ${fmt(RECORDS)} penalty records over ${fmt(ENTERPRISES)} enterprises, ${fmt(WATCHED)} watched (one institution, one endpoint, 8 in flight)`);
  console.log('| measure | value |\n|---|---|');
  console.log(`| batch (parse, merge, outbox) to commit | ${fmt((committed - t0) / 1000, 2)} s (${b.status}, ${fmt(b.inserted)} inserted) |`);
  console.log(`| outbox events written in the batch | ${fmt(events)} |`);
  console.log(`| webhooks delivered (watched events) | ${fmt(arrivals.size)} of ${fmt(expected)} |`);
  console.log(`| commit -> first webhook | ${fmt(lat[0])} ms |`);
  console.log(`| commit -> webhook arrival p50 | ${fmt(pct(lat, 50))} ms |`);
  console.log(`| commit -> webhook arrival p95 | ${fmt(pct(lat, 95))} ms |`);
  console.log(`| commit -> last webhook | ${fmt(drained - committed)} ms |`);
  console.log(`| attempts; HTTP time per attempt avg / max | ${fmt(Number(http.n))}; ${fmt(Number(http.avg), 1)} / ${fmt(Number(http.max))} ms |`);
  console.log(`| store's own figure (detected -> delivered) p50 / p95 | ${stats.latencyMs.p50} / ${stats.latencyMs.p95} ms |`);
} finally {
  await rx.close();
  await conn.connection.quit();
  await deletePrefix(REDIS_URL, cfg.queuePrefix);
  await db.close();
  await dropDatabase(ADMIN_URL, NAME);
}
