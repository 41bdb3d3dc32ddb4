// The service for the query benchmark, in a process of its own: api/app.ts buildApp on the store at
// DATABASE_URL, as `credit-etl serve` builds it (same pool, same hooks, access log, JSON request logs
// at LOG_LEVEL), except that the per-token rate limit (300 requests a minute by default) is raised so
// one analyst token can drive it. Prints {"port": n} on stdout once it listens; stops on SIGTERM.
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { buildApp } from '../api/app.ts';
import { openDb } from '../store/db.ts';

const db = await openDb({ databaseUrl: process.env.DATABASE_URL, dataDir: '' });
// The request log a deployment writes (pino JSON, level from LOG_LEVEL, default info), sent to /dev/null.
const log = pino({ level: process.env.LOG_LEVEL || 'info', base: { app: 'credit-etl' } }, pino.destination('/dev/null'));
const app = await buildApp({ db, log, uploadDir: mkdtempSync(path.join(tmpdir(), 'credit-etl-bench-')), limits: { requestsPerMinute: 1_000_000_000 } });
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as { port: number }).port })}\n`);
await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);
await app.close();
await db.close();
