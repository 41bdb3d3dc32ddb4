// `npm start`: the fixture batch of every category into the store, the reconciled summary, and the
// profile of the one enterprise that appears in all seven.
import { fileURLToPath } from 'node:url';
import { cliReader, readEnterprise } from '../api/governed.ts';
import { formatRunReport } from '../jobs/format-run.ts';
import { ingestFile } from '../ingest/ingest-file.ts';
import type { Logger } from '../lib/logger.ts';
import type { BatchReport } from '../pipelines/run-batch.ts';
import { category, findProviderUnit, type CategoryId } from '../schemas/registry.ts';
import type { Db } from '../store/db.ts';
import { formatProfile, formatSummaryTable } from './format.ts';
import { config } from './context.ts';

const DEMO_BATCHES: readonly { category: CategoryId; provider: string }[] = [
  { category: 'licensing', provider: '市发展改革委' },
  { category: 'penalty', provider: '市发展改革委' },
  { category: 'enforcement', provider: '市发展改革委' },
  { category: 'water', provider: 'water-utility' },
  { category: 'gas', provider: 'gas-utility' },
  { category: 'rnd', provider: '市科技局' },
  { category: 'agri', provider: '市农业农村局' },
];

export async function runDemo(db: Db, log: Logger): Promise<BatchReport[]> {
  // The test kit (fixture pool, stand-in providers) is loaded only when the demo runs: no product path depends on it.
  const [{ AS_OF, DEMO_USCC }, { collectFromStandIns }] = await Promise.all([import('../testkit/generate-fixtures.ts'), import('../testkit/demo-run.ts')]);
  console.log(`store: ${db.label} at ${db.location}\n`);
  const reports: BatchReport[] = [];
  for (const b of DEMO_BATCHES) {
    const file = fileURLToPath(new URL(`../fixtures/csv/${b.category}.csv`, import.meta.url));
    reports.push(await ingestFile(db, { file, category: category(b.category), deliverer: findProviderUnit(b.provider)! }, { log }));
  }
  console.log(formatSummaryTable(reports));
  // the fixtures' bills end in 2025-05: as of their own day the indicators have something to show
  console.log(`\n${formatProfile(await readEnterprise(db, cliReader(`demo profile ${DEMO_USCC}`), DEMO_USCC, { now: new Date(), asOf: AS_OF }))}`);
  const run = await collectFromStandIns(db, log, config.databaseUrl);
  console.log(`\n采集演示 one collection run against the bundled stand-in providers:\n${formatRunReport(run)}`);
  console.log('\nNext: credit-etl batches | credit-etl profile <统一社会信用代码> | credit-etl ingest <file> --category 行政处罚 --provider 市发展改革委');
  if (reports.some((r) => r.status !== 'loaded') || run.status !== 'succeeded') process.exitCode = 1;
  return reports;
}
