// The process's Prometheus series, in one registry: every module that counts something imports its
// series from here, and /metrics (the service's, a worker's board server) renders this registry plus
// BullMQ's own queue series. To add a series, declare it below; names start with credit_etl_.
import client from 'prom-client';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'credit_etl_' });

const registers = [registry];
const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

export const metrics = {
  /** A batch reached its final status (loaded, refused, failed). */
  batches: new client.Counter({
    name: 'credit_etl_batches_total', help: 'Batches finished, by final status and category', labelNames: ['status', 'category'] as const, registers,
  }),
  /** Rows of finished batches: read = accepted + rejected; accepted = inserted + updated + unchanged + duplicate. */
  rows: new client.Counter({
    name: 'credit_etl_rows_total', help: 'Rows of finished batches by outcome (read, accepted, rejected, inserted, updated, unchanged, duplicate) and category',
    labelNames: ['category', 'outcome'] as const, registers,
  }),
  ingestRate: new client.Histogram({
    name: 'credit_etl_ingest_rows_per_second', help: 'Rows read per second of one batch, from opening it to its final status', labelNames: ['category'] as const,
    buckets: [100, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000], registers,
  }),
  batchDuration: new client.Histogram({
    name: 'credit_etl_batch_duration_seconds', help: 'Time from opening a batch to its final status', labelNames: ['category', 'status'] as const, buckets: SECONDS, registers,
  }),
  mergeDuration: new client.Histogram({
    name: 'credit_etl_merge_duration_seconds', help: "Time from a batch's last row read to its records, events and counts written (the last chunk and what earlier chunks left unfinished; the category's lock included)",
    labelNames: ['category'] as const, buckets: SECONDS, registers,
  }),
  runs: new client.Counter({ name: 'credit_etl_runs_total', help: 'Collection runs finished, by status (succeeded, partial, failed)', labelNames: ['status'] as const, registers }),
  runDuration: new client.Histogram({
    name: 'credit_etl_run_duration_seconds', help: 'Time from opening a collection run to its report', labelNames: ['status'] as const, buckets: SECONDS, registers,
  }),
  sourcesCollected: new client.Counter({
    name: 'credit_etl_source_attempts_total', help: "Attempts at one source of a run, by source and outcome (succeeded, retrying, failed)", labelNames: ['source', 'outcome'] as const, registers,
  }),
  /** One attempt to deliver an alert (jobs/alerts.ts): succeeded, retry (failed, tried again later), gone (410: the endpoint is retired) or exhausted (no attempt left). */
  alertDeliveries: new client.Counter({
    name: 'credit_etl_alert_deliveries_total', help: 'Alert delivery attempts by channel and outcome (succeeded, retry, gone, exhausted)', labelNames: ['channel', 'outcome'] as const, registers,
  }),
  accessLogAppends: new client.Counter({
    name: 'credit_etl_access_log_appends_total', help: 'Entries appended to the access log, by action and result (ok, error)', labelNames: ['action', 'result'] as const, registers,
  }),
  /** A request's token check: answered from memory, from the store, or from the store because notifications are down (store/token-cache.ts). */
  tokenChecks: new client.Counter({
    name: 'credit_etl_token_checks_total', help: "Token checks of requests, by where the answer came from (memory, store, not-listening)", labelNames: ['answer'] as const, registers,
  }),
  authFailures: new client.Counter({
    name: 'credit_etl_auth_failures_total', help: 'Requests refused by the token check, by reason (missing, unknown, forbidden)', labelNames: ['reason'] as const, registers,
  }),
};

/** Something that renders its own Prometheus text (a BullMQ Queue's exportPrometheusMetrics). */
export type MetricsSource = () => Promise<string>;

/**
 * This registry plus other sources' text as one exposition. Families that several sources export
 * (bullmq_job_count, once per queue) are merged under one HELP and TYPE, as the format requires.
 */
export async function renderMetrics(sources: readonly MetricsSource[] = []): Promise<string> {
  const own = await registry.metrics();
  const families = new Map<string, { head: string[]; samples: string[] }>();
  for (const text of await Promise.all(sources.map((s) => s()))) {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      const name = meta ? meta[2] : line.split(/[{ ]/)[0];
      if (!families.has(name)) families.set(name, { head: [], samples: [] });
      const f = families.get(name)!;
      if (meta) {
        if (!f.head.some((h) => h.startsWith(`# ${meta[1]} `))) f.head.push(line);
      } else {
        f.samples.push(line);
      }
    }
  }
  const extra = [...families.values()].map((f) => [...f.head, ...f.samples].join('\n')).join('\n');
  return extra ? `${own.trimEnd()}\n${extra}\n` : own;
}

export const METRICS_CONTENT_TYPE = registry.contentType;
