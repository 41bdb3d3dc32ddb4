// npm run bench [-- ingest|query ...]: runs the named benchmarks one after the other, each in a process
// of its own (default: ingest, then query), and fails if any fails. Each prints its own table.
//   ingest: bench/ingest.ts, BENCH_ROWS (default 1,000,000) penalty rows through `credit-etl ingest` vs psql \copy (and pgloader):
//           first load, re-ingest, 5% changed, two files at once, GBK, memory; WAL MB per run
//   query:  bench/query.ts, BENCH_RECORDS (default 10,000,000) records, profiles over HTTP vs pgbench
//   evaluate: bench/evaluate.ts, BENCH_ENTERPRISES (default 1,000) enterprises, `evaluate --all` in enterprises/s
//   alerts: bench/alerts.ts, BENCH_RECORDS (default 100,000) penalty records, BENCH_WATCHED (1,000) watched: commit-to-webhook p50/p95
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PARTS = { ingest: 'ingest.ts', query: 'query.ts', evaluate: 'evaluate.ts', alerts: 'alerts.ts' } as const;
type Part = keyof typeof PARTS;
const asked = process.argv.slice(2);
const unknown = asked.filter((a) => !(a in PARTS));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(PARTS).join(', ')}`);
  process.exit(2);
}
const parts = (asked.length ? asked : Object.keys(PARTS)) as Part[];
for (const part of parts) {
  const start = Date.now();
  console.error(`\n== bench ${part} ==`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(PARTS[part], import.meta.url))], { stdio: 'inherit' });
  console.error(`== bench ${part}: ${r.status === 0 ? 'done' : `failed (${r.signal ?? r.status})`} in ${((Date.now() - start) / 60_000).toFixed(1)} min ==`);
  if (r.status !== 0) process.exit(1);
}
