// Failpoints: a deterministic kill -9 at a named point of production code, for the crash tests
// (test/integration/crash.int.test.ts, jobs/kill-points.int.test.ts). Killing a process from outside
// when a log line appears races with what it does next (a commit, BullMQ acknowledging the job), so
// the process kills itself, synchronously, exactly where `failpoint(name)` stands. Nothing happens
// unless CREDIT_ETL_FAILPOINTS (a comma list of names) names the point: read once at load, so an
// unarmed failpoint costs one boolean test. Worker threads inherit the variable and kill the process.
const armed = new Set((process.env.CREDIT_ETL_FAILPOINTS ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const any = armed.size > 0;

export function failpoint(name: string): void {
  if (any && armed.has(name)) process.kill(process.pid, 'SIGKILL');
}
