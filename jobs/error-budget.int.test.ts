// Connector sources honour an error budget as uploads and the CLI do: the category's default from
// configuration, or the source's own. An over-budget batch is refused whole and the cursor stays.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Connector, SourceMessage } from '../connectors/types.ts';
import { bill, sequenceSource, type SequenceConfig } from '../test/helpers/collect.ts';
import { silentLog } from '../test/helpers/ingest.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import type { SourceCatalog } from './catalog.ts';
import { runInProcess } from './in-process.ts';
import { readCursor } from '../store/ledger.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('budget');
});
afterAll(async () => {
  await t?.drop();
});

/** Ten water bills in one page; every third has a month that is not one (3 of 10 rejected). */
const dirty: Connector<SequenceConfig> = {
  kind: 'test-dirty',
  configSchema: { type: 'object' },
  check: async () => undefined,
  async *read(cfg): AsyncGenerator<SourceMessage> {
    const rows = Array.from({ length: 10 }, (_, i) => ({ ...bill(cfg.base + i), ...(i % 3 === 2 ? { billing_month: '2024-13' } : {}) }));
    yield { kind: 'rows', rows };
    yield { kind: 'checkpoint', cursor: 10 };
  },
};

const records = async (prefix: string) => Number((await t.db.knex('credit_records').where('natural_key', 'like', `%${prefix}%`).count({ n: '*' }))[0].n);

it('refuses a connector batch over its category\'s configured budget whole, and loads one whose source allows more', async () => {
  const strict = sequenceSource('dirty-strict', 50_000, 10, { kind: 'test-dirty' });
  const lenient = { ...sequenceSource('dirty-lenient', 60_000, 10, { kind: 'test-dirty' }), errorBudget: { maxRejectRatio: 0.5 } };
  const catalog: SourceCatalog = { sources: [strict, lenient], connector: () => dirty as unknown as Connector, budgets: { water: { maxRejectRatio: 0.2 } } };
  const r = await runInProcess({ db: t.db, log: silentLog, catalog }, { sourceIds: ['dirty-strict', 'dirty-lenient'], retryDelayMs: 0 });
  const by = Object.fromEntries(r.sources.map((s) => [s.sourceId, s]));
  expect(by['dirty-strict']).toMatchObject({ status: 'failed', errorCode: 'E_BATCH_REFUSED', inserted: 0 });
  expect(by['dirty-lenient']).toMatchObject({ status: 'succeeded', read: 10, inserted: 7 });
  expect(await readCursor(t.db, 'dirty-strict')).toBeUndefined();
  expect(await records('LS005')).toBe(0);
  expect(await records('LS006')).toBe(7);
  const refused = await t.db.knex('batches').where('file_name', 'like', 'dirty-strict%').first('status', 'refusal', 'rejected');
  expect(refused).toMatchObject({ status: 'refused', rejected: 3, refusal: { code: 'R_OVER_BUDGET' } });
});
