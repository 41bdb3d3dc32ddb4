// `npm start`'s collection run: the demo sources against the bundled stand-in providers, in-process
// (the demo has no Redis), through the same ledger and runner as the nightly jobs. The embedded store
// has no PostgreSQL server to hold the stand-in source database, so there the source-database
// source sits this run out.
import { readFileSync } from 'node:fs';
import { DEMO_SOURCES_FILE, parseSources } from '../connectors/sources.ts';
import { connectorFor } from '../connectors/registry.ts';
import { seedAuthorisations } from './stand-ins/seed-authorisations.ts';
import { startStandIns } from './stand-ins/stand-ins.ts';
import type { Logger } from '../lib/logger.ts';
import type { Db } from '../store/db.ts';
import { runInProcess } from '../jobs/in-process.ts';
import type { RunReport } from '../jobs/report.ts';

export async function collectFromStandIns(db: Db, log: Logger, databaseUrl: string | undefined): Promise<RunReport> {
  const withSourceDb = !db.oneConnection && databaseUrl !== undefined;
  const standIns = await startStandIns(withSourceDb ? { adminUrl: databaseUrl } : { sourceDb: false });
  try {
    // Grants for the per-enterprise providers' customers (some withheld, as in real life).
    await seedAuthorisations(db, standIns);
    const file = JSON.parse(readFileSync(DEMO_SOURCES_FILE, 'utf8')) as { sources: { kind: string }[] };
    const sources = parseSources({ ...file, sources: file.sources.filter((s) => withSourceDb || s.kind !== 'source-db') }, standIns.env);
    return await runInProcess({ db, log, catalog: { sources, connector: connectorFor, env: standIns.env } }, { sourceIds: sources.map((s) => s.id), retryDelayMs: 200 });
  } finally {
    await standIns.close();
  }
}
