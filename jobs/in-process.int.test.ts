// A run without Redis goes through the same code as a queued one: the ledger, the cursor committed
// with each batch, retries of transient failures, a terminal failure that fails one source only.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLog } from '../test/helpers/ingest.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { sequenceCatalog, sequenceSource, type Faults } from '../test/helpers/collect.ts';
import { runInProcess } from './in-process.ts';
import { readCursor } from '../store/ledger.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('inproc');
});
afterAll(async () => {
  await t?.drop();
});

const records = async () => Number((await t.db.knex('credit_records').count({ n: '*' }))[0].n);

it('loads every source in batches cut at checkpoints, and running again loads nothing new', async () => {
  const sources = [sequenceSource('seq-a', 0, 230), sequenceSource('seq-b', 10_000, 120)];
  const deps = { db: t.db, log: silentLog, catalog: sequenceCatalog(sources) };
  const r = await runInProcess(deps, { sourceIds: ['seq-a', 'seq-b'], retryDelayMs: 0 });
  expect(r.status).toBe('succeeded');
  expect(r.sources.map((s) => [s.sourceId, s.batches, s.read, s.inserted, s.reconciled])).toEqual([['seq-a', 5, 230, 230, true], ['seq-b', 3, 120, 120, true]]);
  expect(await readCursor(t.db, 'seq-a')).toBe(230);
  expect(await records()).toBe(350);

  const again = await runInProcess(deps, { sourceIds: ['seq-a', 'seq-b'], retryDelayMs: 0 });
  expect(again.sources.map((s) => [s.status, s.batches, s.read])).toEqual([['succeeded', 0, 0], ['succeeded', 0, 0]]);
  expect(await records()).toBe(350);

  const grown = [sequenceSource('seq-a', 0, 260), sequenceSource('seq-b', 10_000, 120)];
  const delta = await runInProcess({ ...deps, catalog: sequenceCatalog(grown) }, { sourceIds: ['seq-a', 'seq-b'], retryDelayMs: 0 });
  expect(delta.sources[0]).toMatchObject({ batches: 1, read: 30, inserted: 30 });
  expect(await records()).toBe(380);
});

it('retries a transient failure from the committed cursor; a data error fails that source only, with its code', async () => {
  const sources = [sequenceSource('flaky', 20_000, 200), sequenceSource('broken', 30_000, 100), sequenceSource('fine', 40_000, 60)];
  const faults: Faults = new Map([
    ['flaky', { code: 'E_PROVIDER_UNAVAILABLE', retryable: true, times: 2, afterRows: 100 }],
    ['broken', { code: 'E_PROVIDER_REJECTED', retryable: false, times: 1, afterRows: 50 }],
  ]);
  const r = await runInProcess({ db: t.db, log: silentLog, catalog: sequenceCatalog(sources, faults) }, { sourceIds: ['flaky', 'broken', 'fine'], retryDelayMs: 0 });
  expect(r.status).toBe('partial');
  const by = Object.fromEntries(r.sources.map((s) => [s.sourceId, s]));
  // Two failed attempts, then the third resumes at row 100: every row once, none twice.
  expect(by.flaky).toMatchObject({ status: 'succeeded', attempts: 3, read: 200, inserted: 200, duplicates: 0, reconciled: true });
  expect(by.broken).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'E_PROVIDER_REJECTED', read: 50, inserted: 50 });
  expect(by.fine).toMatchObject({ status: 'succeeded', read: 60 });
  expect(r.failed).toEqual([{ sourceId: 'broken', code: 'E_PROVIDER_REJECTED', error: 'injected E_PROVIDER_REJECTED' }]);
  expect(await readCursor(t.db, 'broken')).toBe(50);
});
