// Rows fetched by a connector take the same path as a file's rows: same checks, same store, same counts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestSource } from '../../ingest/ingest-file.ts';
import { rowsSource } from '../../pipelines/run-batch.ts';
import { category, findProviderUnit } from '../../schemas/registry.ts';
import { silentLog } from '../helpers/ingest.ts';
import { createTestDb, type TestDb } from '../helpers/pg.ts';
import { allReadable } from '../helpers/records.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('rows');
});
afterAll(async () => {
  await t?.drop();
});

const bill = (month: string, usage: number | string) => ({
  subject_name: '临沂市兰山区示例商贸有限公司', subject_uscc: '91371300328348377N', account_name: '临沂市兰山区示例商贸有限公司',
  account_no: 'LS0012345', billing_month: month, usage, amount_due: 51.2, amount_paid: 51.2, in_arrears: false,
});

async function* rows(list: Record<string, unknown>[]) {
  yield* list;
}

it('loads connector rows keyed by field, rejecting bad ones with their position', async () => {
  const keys = Object.keys(bill('2024-01', 1));
  const opts = { category: category('water'), deliverer: findProviderUnit('water-utility')!, name: 'water-api 2024-01..2024-03' };
  const r = await ingestSource(t.db, rowsSource(keys, rows([bill('2024-01', 10), bill('2024-13', 11), bill('2024-03', 12.5)])), opts, { log: silentLog });
  expect(r).toMatchObject({ status: 'loaded', read: 3, accepted: 2, rejected: 1, inserted: 2, encoding: null });
  expect(r.issues[0]).toMatchObject({ line: 3, code: 'E_MONTH', column: 'billing_month', value: '2024-13' });
  const stored = allReadable(await t.db.knex('credit_records').where({ batch_id: r.batchId }).orderBy('source_line'));
  expect(stored.map((s: any) => [s.source_line, s.fields.usage, s.fields.in_arrears])).toEqual([[2, '10', false], [4, '12.5', false]]);
  const again = await ingestSource(t.db, rowsSource(keys, rows([bill('2024-01', 10), bill('2024-03', 12.5)])), opts, { log: silentLog });
  expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 2 });
  expect(again.sha256).not.toBe(r.sha256);
});
