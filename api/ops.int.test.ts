// The operator's endpoints of the service: /health, /ready (database, migrations, and any extra
// check such as Redis), and /metrics with the series an upload and a refused token leave behind.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiHarness, multipart, type ApiHarness } from '../test/helpers/api.ts';
import { fixture } from '../test/helpers/ingest.ts';

let h: ApiHarness;
let redisUp = true;
beforeAll(async () => {
  h = await createApiHarness('api_ops', {
    readiness: { redis: async () => { if (!redisUp) throw new Error('connection refused'); } },
    metricsSources: [async () => '# HELP bullmq_job_count Number of jobs in the queue by state\n# TYPE bullmq_job_count gauge\nbullmq_job_count{queue="ingest-upload", state="waiting"} 2'],
  });
});
afterAll(async () => {
  await h?.close();
});

/** The value of one sample in Prometheus text, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').pop()) : 0;
}

it('/health answers without a token', async () => {
  const r = await h.app.inject({ url: '/health' });
  expect(r.statusCode).toBe(200);
  expect(r.json()).toEqual({ status: 'ok' });
});

it('/ready checks the database, the migrations and the extra checks, and says which one fails', async () => {
  const ok = await h.app.inject({ url: '/ready' });
  expect(ok.statusCode).toBe(200);
  expect(ok.json()).toEqual({ status: 'ready', checks: { database: { ok: true }, migrations: { ok: true }, redis: { ok: true } } });
  redisUp = false;
  const down = await h.app.inject({ url: '/ready' });
  redisUp = true;
  expect(down.statusCode).toBe(503);
  expect(down.json().checks.redis).toEqual({ ok: false, error: 'connection refused' });
  expect(down.json().checks.database).toEqual({ ok: true });
});

it('/ready goes 503 when a migration is pending', async () => {
  const last = await h.t.db.knex('knex_migrations').orderBy('id', 'desc').first('id', 'name');
  await h.t.db.knex('knex_migrations').where({ id: last.id }).delete();
  try {
    const r = await h.app.inject({ url: '/ready' });
    expect(r.statusCode).toBe(503);
    expect(r.json().checks.migrations.error).toContain(last.name);
  } finally {
    await h.t.db.knex('knex_migrations').insert({ ...last, batch: 1, migration_time: new Date() });
  }
});

it('/metrics counts batches, rows by outcome, authentication failures and access-log appends, and renders the queue series', async () => {
  const before = (await h.app.inject({ url: '/metrics' })).body;
  const ndrc = await h.token('provider', '市发展改革委');
  const body = multipart({ category: '行政处罚' }, { name: 'p.csv', content: readFileSync(fixture('dirty/penalty.bad-values.csv')) });
  const posted = await h.app.inject({ method: 'POST', url: '/batches', payload: body.payload, headers: { ...body.headers, ...ndrc } });
  expect(posted.statusCode).toBe(201);
  const batch = posted.json();
  expect((await h.app.inject({ url: '/batches', headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
  expect((await h.app.inject({ url: '/batches' })).statusCode).toBe(401);
  expect((await h.app.inject({ url: `/batches/${batch.id}/rejects.csv`, headers: ndrc })).statusCode).toBe(200);

  const r = await h.app.inject({ url: '/metrics' });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  const after = r.body;
  const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
  expect(delta('credit_etl_batches_total', { status: 'loaded', category: 'penalty' })).toBe(1);
  expect(delta('credit_etl_rows_total', { category: 'penalty', outcome: 'read' })).toBe(batch.counts.read);
  expect(delta('credit_etl_rows_total', { category: 'penalty', outcome: 'rejected' })).toBe(batch.counts.rejected);
  expect(delta('credit_etl_rows_total', { category: 'penalty', outcome: 'inserted' })).toBe(batch.counts.inserted);
  expect(delta('credit_etl_merge_duration_seconds_count', { category: 'penalty' })).toBe(1);
  expect(delta('credit_etl_ingest_rows_per_second_count', { category: 'penalty' })).toBe(1);
  expect(delta('credit_etl_auth_failures_total', { reason: 'unknown' })).toBe(1);
  expect(delta('credit_etl_auth_failures_total', { reason: 'missing' })).toBe(1);
  expect(delta('credit_etl_access_log_appends_total', { action: 'batch.rejects', result: 'ok' })).toBe(1);
  expect(sample(after, 'bullmq_job_count', { queue: 'ingest-upload', state: 'waiting' })).toBe(2);
  for (const name of ['credit_etl_run_duration_seconds', 'credit_etl_alert_deliveries_total', 'credit_etl_process_cpu_seconds_total']) {
    expect(after).toContain(`# TYPE ${name}`);
  }
});
