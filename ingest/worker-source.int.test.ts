// Where a row is checked (on the parse thread, or on the main thread) must not change anything: the
// same fixtures, clean and dirty, give the same report and the same rejected rows whichever thread
// checks them. backlog 0 makes the parse thread check every row; the in-thread csvSource checks none.
import { createReadStream, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../pipelines/limits.ts';
import { csvSource, type BatchReport } from '../pipelines/run-batch.ts';
import { findCategory, findProviderUnit } from '../schemas/registry.ts';
import { fixture, silentLog } from '../test/helpers/ingest.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { ingestSource } from './ingest-file.ts';
import { workerCsvSource } from './worker-source.ts';

let a: TestDb;
let b: TestDb;
beforeAll(async () => {
  [a, b] = await Promise.all([createTestDb('split_main'), createTestDb('split_worker')]);
});
afterAll(async () => {
  await Promise.all([a?.drop(), b?.drop()]);
});

const expected = JSON.parse(readFileSync(fixture('dirty/expected.json'), 'utf8')) as Record<string, { category: string; deliveredBy: string }>;
const cases = [
  ...Object.entries(expected).map(([file, e]) => ({ file: `dirty/${file}`, category: e.category, deliveredBy: e.deliveredBy })),
  { file: 'penalty.gbk.csv', category: 'penalty', deliveredBy: 'ndrc' },
  { file: 'licensing.csv', category: 'licensing', deliveredBy: 'ndrc' },
];

const comparable = (r: BatchReport) => {
  const { batchId: _b, durationMs: _d, phases: _p, ...rest } = r;
  return rest;
};
const rejectedRows = async (t: TestDb, batchId: string) =>
  t.db.knex('rejected_rows').where({ batch_id: batchId }).orderBy('line').select('line', 'cells', 'issues');
const records = async (t: TestDb, batchId: string) =>
  t.db.knex('credit_records').where({ batch_id: batchId }).orderBy('natural_key').select('natural_key', 'fields', 'content_hash', 'source_unit', 'source_line');

for (const c of cases) {
  it(`${c.file}: checked on the parse thread or on the main thread, the same outcome`, async () => {
    const opts = { category: findCategory(c.category)!, deliverer: findProviderUnit(c.deliveredBy)!, name: c.file, receivedAt: '2026-01-01T00:00:00.000Z' };
    const onMain = await ingestSource(a.db, csvSource(createReadStream(fixture(c.file)), 'auto'), opts, { log: silentLog });
    const source = workerCsvSource(fixture(c.file), 'auto', DEFAULT_LIMITS, { category: opts.category.id, deliverer: opts.deliverer, backlog: 0 });
    let onWorker: BatchReport;
    try {
      onWorker = await ingestSource(b.db, source, opts, { log: silentLog });
    } finally {
      await source.close();
    }
    expect(comparable(onWorker)).toEqual(comparable(onMain));
    expect(onMain.read > 0 || onMain.refusal !== null).toBe(true);
    expect(await rejectedRows(b, onWorker.batchId)).toEqual(await rejectedRows(a, onMain.batchId));
    expect(await records(b, onWorker.batchId)).toEqual(await records(a, onMain.batchId));
  });
}
