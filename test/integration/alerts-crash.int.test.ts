// kill -9 along an alert's way, each process killing itself at a failpoint (lib/failpoints.ts):
// the ingest right after its batch committed (events in the outbox, nothing relayed), an alert
// worker right after the relay committed (deliveries recorded, none enqueued), another right after
// sending (the receiver answered 200, the attempt not recorded). A clean worker then finishes: every
// event reaches the receiver's processing exactly once, deduplicated by webhook-id where resent.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addEndpoint } from '../../store/alerts.ts';
import { registerInstitution } from '../../store/institutions.ts';
import { upsertWatches } from '../../store/watches.ts';
import { deliver, penalty, USCCS } from '../helpers/alerts.ts';
import { CLI, runCli } from '../helpers/cli.ts';
import { deletePrefix, eventually, REDIS_URL, testPrefix } from '../helpers/collect.ts';
import { createTestDb, TEST_AUDIT_KEY, type TestDb } from '../helpers/pg.ts';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';

let t: TestDb;
let rx: Receiver;
let dir: string;
const prefix = testPrefix();
const INST = '临沂银行';

beforeAll(async () => {
  t = await createTestDb('alertcrash');
  rx = await startReceiver();
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-alertcrash-'));
});
afterAll(async () => {
  await rx?.close();
  await deletePrefix(REDIS_URL, prefix);
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const env = (failpoint?: string) => ({
  DATABASE_URL: t.url, CREDIT_ETL_AUDIT_KEY: TEST_AUDIT_KEY, REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: prefix, CREDIT_ETL_JOB_LOCK_MS: '2000', CREDIT_ETL_ALERT_POLL_MS: '100', CREDIT_ETL_ALERT_REQUEUE_MS: '1000',
  CREDIT_ETL_FAILPOINTS: failpoint ?? '', CREDIT_ETL_ALERT_PORT: '0',
});

/** `credit-etl alerts work` until it kills itself (with a failpoint) or is stopped. */
function alertWorker(failpoint?: string) {
  const child = spawn(process.execPath, [CLI, 'alerts', 'work'], { env: { ...process.env, LOG_LEVEL: 'warn', ...env(failpoint) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<string | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  return { child, exited, output: () => err };
}

const count = async (sql: string) => Number((await t.db.knex.raw(sql)).rows[0].n);

it('kill -9 after the batch commit, after the relay commit and after a send: each event is processed exactly once', async () => {
  await deliver(t.db, 'penalty', [penalty(9000, USCCS[19])]); // the category's backfill, before anyone watches
  const watched = USCCS.slice(0, 6);
  const inst = (await registerInstitution(t.db, INST)).institution.id;
  await upsertWatches(t.db, inst, watched.map((subjectUscc) => ({ subjectUscc, eventTypes: [] })), 'test');
  await addEndpoint(t.db, { institutionId: inst, url: rx.url, maxInFlight: 2, allowInternal: true });

  // 1. The ingest dies right after its commit: the batch and its events are there, nothing else happened.
  const rows = watched.map((u, i) => penalty(i + 1, u));
  const keys = Object.keys(rows[0]);
  const file = path.join(dir, 'penalties.csv');
  writeFileSync(file, [keys.join(','), ...rows.map((r) => keys.map((k) => String(r[k] ?? '')).join(','))].join('\r\n'));
  const ingest = await runCli(['ingest', file, '--category', 'penalty', '--provider', 'ecology', '--json'], env('batch.committed'));
  expect(ingest.code).toBeNull(); // killed by its own SIGKILL
  const events: string[] = (await t.db.knex('credit_events').where({ type: 'penalty.created', backfill: false })).map((e: any) => e.id);
  expect(events).toHaveLength(6);
  expect(await count(`SELECT count(*) AS n FROM credit_events WHERE relayed_at IS NOT NULL AND NOT backfill`)).toBe(0);

  // 2. A worker dies right after the relay committed the deliveries, before enqueueing any.
  const w1 = alertWorker('alerts.relayed');
  expect(await w1.exited).toBe('SIGKILL');
  expect(await count(`SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'pending' AND attempts = 0`)).toBe(6);
  expect(rx.requests).toHaveLength(0);

  // 3. A worker dies right after a send was answered 200, before recording it.
  const w2 = alertWorker('alerts.sent');
  expect(await w2.exited).toBe('SIGKILL');
  const sentBeforeKill = rx.requests.length;
  expect(sentBeforeKill).toBeGreaterThanOrEqual(1);
  expect(await count(`SELECT count(*) AS n FROM webhook_attempts`)).toBe(0);

  // 4. A clean worker takes the stalled attempts over and delivers the rest.
  const w3 = alertWorker();
  try {
    await eventually(async () => (await count(`SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'succeeded'`)) === 6 || undefined);
    // Let any straggling retry settle before counting.
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    w3.child.kill('SIGTERM');
    await w3.exited;
  }
  expect([...rx.processed].sort()).toEqual([...events].sort());
  expect(new Set(rx.processed).size).toBe(rx.processed.length);
  // The ones sent before the kill were sent again with the same webhook-id, and deduplicated.
  const resent = [...rx.accepted].filter(([, n]) => n > 1).map(([id]) => id);
  expect(resent.length).toBeGreaterThanOrEqual(1);
  expect(resent.length).toBeLessThanOrEqual(sentBeforeKill);
  expect(await count(`SELECT count(*) AS n FROM webhook_attempts`)).toBe(6);
  expect(await count(`SELECT count(*) AS n FROM credit_events WHERE relayed_at IS NULL`)).toBe(0);
});
