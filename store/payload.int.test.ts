// The compact payload's migration both ways on real PostgreSQL: records loaded by the pipeline read the
// same through the readers and the views after their payloads were turned back into objects and again
// into arrays, _original and every field kind included.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as compactPayload from '../migrations/20261207001000_compact_payload.ts';
import { CATEGORY_IDS } from '../schemas/registry.ts';
import { fixture, ingest } from '../test/helpers/ingest.ts';
import { penaltyHeader, row, toCsv } from '../test/helpers/penalty-rows.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { allReadable } from '../test/helpers/records.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('payload');
  const deliverer = { licensing: 'ndrc', penalty: 'ndrc', enforcement: 'ndrc', water: 'water-utility', gas: 'gas-utility', rnd: '市科技局', agri: '市农业农村局' };
  for (const c of CATEGORY_IDS) expect((await ingest(t.db, fixture(`${c}.csv`), c, deliverer[c])).status).toBe('loaded');
  // a fine given in 元 in the 万元 column: converted, the cell as delivered kept in _original
  const fined = Object.assign(row(0), { [penaltyHeader.indexOf('罚款金额')]: '25000元' });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'credit-etl-')), 'penalty-yuan.csv');
  writeFileSync(file, toCsv([fined]));
  expect(await ingest(t.db, file, 'penalty', 'ndrc')).toMatchObject({ status: 'loaded', updated: 1 });
  rmSync(path.dirname(file), { recursive: true, force: true });
});
afterAll(async () => {
  await t?.drop();
});

const stored = async () => allReadable(await t.db.knex('credit_records').orderBy('id').select('id', 'category', 'fields'));
const views = async () => Promise.all(CATEGORY_IDS.map((c) => t.db.knex(`v_${c}`).orderBy('id')));
const kinds = async () => (await t.db.knex.raw('SELECT DISTINCT jsonb_typeof(fields) AS kind FROM credit_records')).rows.map((r: { kind: string }) => r.kind);

it('turns every payload into the object it replaced and back, and the records and views read the same', async () => {
  const before = await stored();
  const viewed = await views();
  expect(before.filter((r) => r.fields._original !== undefined).map((r) => r.fields._original)).toEqual([{ fine_amount: '25000元' }]);
  expect(await kinds()).toEqual(['array']);

  await t.db.knex.transaction(async (trx) => compactPayload.down(trx));
  expect(await kinds()).toEqual(['object']);
  const objects = await t.db.knex('credit_records').orderBy('id').select('fields');
  expect(objects.map((r) => r.fields)).toEqual(before.map((r) => r.fields));

  await t.db.knex.transaction(async (trx) => compactPayload.up(trx));
  expect(await kinds()).toEqual(['array']);
  expect(await stored()).toEqual(before);
  expect(await views()).toEqual(viewed);
});
