// The load generator of the query benchmark, in a process of its own so it does not share the
// service's event loop: autocannon GETs /enterprises/<USCC> for USCCs drawn uniformly at random from
// the file BENCH_USCC_FILE (one a line), with the analyst token. Prints autocannon's summary as JSON.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const env = (k: string) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const usccs = readFileSync(env('BENCH_USCC_FILE'), 'utf8').split('\n').filter(Boolean);
const pick = () => usccs[Math.floor(Math.random() * usccs.length)];

const r = await autocannon({
  url: env('BENCH_URL'),
  connections: Number(env('BENCH_CONNECTIONS')),
  duration: Number(env('BENCH_DURATION')),
  timeout: 30,
  headers: { authorization: `Bearer ${env('BENCH_TOKEN')}` },
  requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/enterprises/${pick()}` }) }],
});
process.stdout.write(`${JSON.stringify({
  requestsPerSecond: r.requests.average, total: r.requests.total, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts,
  latency: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.mean },
})}\n`);
