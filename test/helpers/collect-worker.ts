// A collection worker process for the kill and two-worker tests: the real startCollectionWorker with
// the sequence connector of test/helpers/collect.ts (argv[2]: a JSON file of its sources), configured
// by the environment like `credit-etl worker` (DATABASE_URL, REDIS_URL, CREDIT_ETL_QUEUE_PREFIX, ...).
import { readFileSync } from 'node:fs';
import { connectQueues } from '../../jobs/connection.ts';
import { untilSignal } from '../../jobs/shutdown.ts';
import { startCollectionWorker } from '../../jobs/worker.ts';
import { loadCollectionConfig, loadConfig } from '../../config/config.ts';
import { createLogger } from '../../lib/logger.ts';
import { openDb } from '../../store/db.ts';
import { sequenceCatalog } from './collect.ts';

const config = loadConfig();
const cfg = loadCollectionConfig();
const log = createLogger(config.logLevel);
const db = await openDb(config);
const conn = connectQueues(cfg);
const worker = await startCollectionWorker({ db, log, cfg, conn, catalog: sequenceCatalog(JSON.parse(readFileSync(process.argv[2]!, 'utf8'))) });
process.stdout.write('ready\n');
await untilSignal(() => process.exit(130));
await worker.close();
await conn.connection.quit();
await db.close();
