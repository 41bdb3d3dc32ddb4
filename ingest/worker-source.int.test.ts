// Where a row is checked (on the parse thread, or on the main thread) must not change anything: the
// same fixtures, clean and dirty, give the same report and the same rejected rows whichever thread
// checks them. backlog 0 makes the parse thread check every row; the in-thread csvSource checks none.
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type IngestLimits } from '../pipelines/limits.ts';
import { csvSource, type BatchReport } from '../pipelines/run-batch.ts';
import { findCategory, findProviderUnit } from '../schemas/registry.ts';
import { generateCsv } from '../testkit/generate-fixtures.ts';
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

// Several parse threads share a file's batches (500 records each) round robin: a file of several
// batches a thread, with rejected rows, a malformed line and repeated keys across batches, must load
// as the in-thread reading loads it; a refusal mid-file must name the same line; an early refusal
// must still fingerprint the whole file.
describe('several parse threads on one file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parse-threads-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const lines = generateCsv({ category: 'penalty', rows: 3_200, dirtyRatio: 0.03, seed: 15 }).split('\r\n').filter(Boolean);
  // a row repeated two batches later, changed (the later line wins); a line whose quote never closes on its line
  const changed = lines[40].replace(/,([^,]*)$/, ',重复行$1');
  const body = [...lines.slice(0, 1_300), changed, '"未闭合,引号', ...lines.slice(1_300)];
  const file = path.join(dir, 'threads.csv');
  writeFileSync(file, body.join('\r\n') + '\r\n');
  const penalty = { category: findCategory('penalty')!, deliverer: findProviderUnit('ndrc')!, name: 'threads.csv', receivedAt: '2026-01-01T00:00:00.000Z' };
  const check = { category: penalty.category.id, deliverer: penalty.deliverer };

  async function viaThreads(t: TestDb, limits: IngestLimits): Promise<BatchReport> {
    const source = workerCsvSource(file, 'auto', limits, check);
    try {
      return await ingestSource(t.db, source, { ...penalty, maxColumns: limits.maxColumns }, { log: silentLog });
    } finally {
      await source.close();
    }
  }

  it('loads a file read by 3 threads as the in-thread reading loads it', async () => {
    const inThread = await ingestSource(a.db, csvSource(createReadStream(file), 'auto'), penalty, { log: silentLog });
    const threaded = await viaThreads(b, { ...DEFAULT_LIMITS, parseThreads: 3 });
    expect(inThread).toMatchObject({ status: 'loaded', read: 3_202, duplicates: 1 });
    expect(inThread.rejected).toBeGreaterThan(50);
    expect(comparable(threaded)).toEqual(comparable(inThread));
    expect(await rejectedRows(b, threaded.batchId)).toEqual(await rejectedRows(a, inThread.batchId));
    expect(await records(b, threaded.batchId)).toEqual(await records(a, inThread.batchId));
  });

  it('refuses a file too large at the same line whatever the number of threads', async () => {
    const limits = { ...DEFAULT_LIMITS, maxFileBytes: Math.floor(statSync(file).size * 0.6) };
    const one = await viaThreads(a, { ...limits, parseThreads: 1 });
    const three = await viaThreads(b, { ...limits, parseThreads: 3 });
    expect(one.refusal?.code).toBe('R_FILE_TOO_LARGE');
    expect(one.read).toBeGreaterThan(1_000);
    expect(comparable(three)).toEqual(comparable(one));
  });

  it('fingerprints the whole file after an early refusal', async () => {
    const refused = await viaThreads(b, { ...DEFAULT_LIMITS, maxColumns: 5, parseThreads: 3 });
    expect(refused.refusal?.code).toBe('R_TOO_MANY_COLUMNS');
    expect(refused.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(refused.sizeBytes).toBe(statSync(file).size);
  });
});
