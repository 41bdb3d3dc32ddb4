// A re-delivery leaves out the rows whose fingerprint a stored record carries (pipelines/known-rows.ts)
// without checking them. It must leave the store and the counts exactly as checking every row does:
// two stores take the same deliveries through ingestFile, one as usual and one with checkEveryRow
// (the CLI's --check-every-row), in chunks of three
// rows so that lines of one key fall into different chunks, in every order of known and changed lines.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestFile } from '../../ingest/ingest-file.ts';
import type { BatchReport } from '../../pipelines/run-batch.ts';
import { findCategory, findProviderUnit } from '../../schemas/registry.ts';
import { createTestDb, type TestDb } from '../helpers/pg.ts';
import { silentLog } from '../helpers/ingest.ts';
import { bad, changed, penaltyHeader, row, toCsv } from '../helpers/penalty-rows.ts';

const CHUNK = 3;
let fast: TestDb;
let full: TestDb;
let dir: string;
beforeAll(async () => {
  [fast, full] = await Promise.all([createTestDb('known_fast'), createTestDb('known_full')]);
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-known-'));
});
afterAll(async () => {
  await Promise.all([fast?.drop(), full?.drop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const col = (name: string) => penaltyHeader.indexOf(name);
/** A 15-digit identity number: loaded, with the warning W_ID_UPGRADED. */
const warned = (r: string[]) => Object.assign([...r], { [col('法定代表人证件类型')]: '身份证', [col('法定代表人证件号码')]: '371326861031057' });
/** The file with its columns in another order: the same rows, read under another header. */
const reversed = (rows: string[][]) => ({ head: [...penaltyHeader].reverse(), rows: rows.map((r) => [...r].reverse()) });

const deliverer = findProviderUnit('ndrc')!;
const penalty = findCategory('penalty')!;
const outcome = (r: BatchReport) => ({ status: r.status, read: r.read, accepted: r.accepted, rejected: r.rejected, inserted: r.inserted, updated: r.updated, unchanged: r.unchanged, duplicates: r.duplicates, warningCount: r.warningCount });

/** Both stores take the delivery; their outcomes must agree. Returns the fast store's report. */
async function both(name: string, rows: string[][], extra: { fullDelivery?: boolean; head?: string[] } = {}): Promise<BatchReport> {
  const file = path.join(dir, `${name}.csv`);
  writeFileSync(file, toCsv(rows, extra.head));
  const opts = { category: penalty, deliverer, mergeChunkRows: CHUNK, fullDelivery: extra.fullDelivery };
  const a = await ingestFile(fast.db, { file, ...opts }, { log: silentLog });
  const b = await ingestFile(full.db, { file, ...opts, checkEveryRow: true }, { log: silentLog });
  expect(b.recognised).toBeUndefined();
  expect(outcome(a)).toEqual(outcome(b));
  return a;
}

/** What a store holds, without ids, batch ids and times (which differ between the two stores by construction). */
async function snapshot(t: TestDb) {
  const k = t.db.knex;
  const records = await k('credit_records').select('natural_key', 'fields', 'content_hash', 'version', 'source_line', k.raw('source_hash::text')).orderBy('natural_key');
  const history = await k('credit_record_versions').select('natural_key', 'content_hash', 'version', 'source_line', k.raw('source_hash::text')).orderBy(['natural_key', 'version']);
  const events = await k('credit_events').select('type', 'record_version', 'source_line').orderBy(['type', 'record_version', 'source_line']);
  const batches = await k('batches').select('file_name', 'status', 'inserted', 'updated', 'unchanged', 'duplicates', 'withdrawn', 'rejected').orderBy('received_at');
  return { records, history, events, batches };
}

it('leaving known rows out unchecked ends as checking every row does, in every order of known and changed lines', async () => {
  // rows 0-9, row 7 rejected, row 8 with a warning (its record keeps the count, so a re-delivery that leaves it out still counts it)
  const first = [row(0), row(1), row(2), row(3), row(4), row(5), row(6), bad(row(7)), warned(row(8)), row(9)];
  const r1 = await both('first', first);
  expect(r1).toMatchObject({ read: 10, accepted: 9, rejected: 1, inserted: 9, warningCount: 1 });
  expect(r1.recognised).toBeUndefined(); // the store held nothing of this deliverer

  // The same file again: every accepted row is recognised, the warned one's warning counted.
  const r2 = await both('again', first);
  expect(r2).toMatchObject({ read: 10, accepted: 9, rejected: 1, inserted: 0, updated: 0, unchanged: 9, duplicates: 0, warningCount: 1, recognised: { rows: 9, warnings: 1 } });

  // By hand, lines 2-13:
  // row 0 known twice (one unchanged, one duplicate);
  // row 1 changed, then known later: the later line wins, so row 1 ends as stored (checked: not recognised);
  // row 2 known, then changed later: an update;
  // row 3 changed twice with a known line between: the last change wins;
  // row 4 known; row 10 new; row 7 now good (new); row 8 known, its warning counted.
  const third = [row(0), changed(row(1), '甲'), row(2), changed(row(3), '一'), row(0), row(1), row(3), changed(row(2), '乙'),
    changed(row(3), '二'), row(4), row(10), row(7), warned(row(8))];
  const r3 = await both('third', third);
  // 13 lines over 8 keys (0-4, 7, 8, 10): 5 duplicates; inserted 7 and 10; unchanged 0, 4, 8; updated 2, 3
  // and 1 (its content ends as it was, but as with every in-file revert its first line was written:
  // a new version, counted as an update)
  expect(r3).toMatchObject({ read: 13, accepted: 13, rejected: 0, inserted: 2, updated: 3, unchanged: 3, duplicates: 5, warningCount: 1 });
  // rows 0 (twice), 4 and 8 at least; row 1's and row 3's known lines after their changes are checked
  expect(r3.recognised?.rows).toBeGreaterThanOrEqual(4);
  expect(r3.recognised?.warnings).toBe(1);

  // Row 6 changed, then as stored, in one chunk: the later line wins, so nothing changes (the merge
  // once left out the unchanged later line and wrote the earlier one); row 5 known.
  const r4a = await both('revert', [changed(row(6), '丙'), row(6), row(5)]);
  expect(r4a).toMatchObject({ read: 3, accepted: 3, inserted: 0, updated: 0, unchanged: 2, duplicates: 1, recognised: { rows: 1 } });

  // A full delivery of rows 0, 2, 4, 10 as the store now holds them, two of them twice: the rest is withdrawn.
  const held = [row(0), changed(row(2), '乙'), row(4), row(10), row(4), row(0)];
  const r4 = await both('full', held, { fullDelivery: true });
  expect(r4).toMatchObject({ read: 6, accepted: 6, inserted: 0, updated: 0, unchanged: 4, duplicates: 2, recognised: { rows: 6, warnings: 0 } });

  // The same rows under another column order: another reading, so nothing is recognised, and nothing changes.
  const other = reversed(held);
  const r5 = await both('reordered', other.rows, { head: other.head });
  expect(r5).toMatchObject({ read: 6, accepted: 6, inserted: 0, updated: 0, unchanged: 4, duplicates: 2 });
  expect(r5.recognised).toBeUndefined();

  const [a, b] = await Promise.all([snapshot(fast), snapshot(full)]);
  expect(a.batches).toEqual(b.batches);
  expect(a.records).toEqual(b.records);
  expect(a.history).toEqual(b.history);
  expect(a.events).toEqual(b.events);
  expect(a.records.map((r) => r.natural_key)).toHaveLength(4);
  expect(a.records.filter((r) => r.source_hash === null)).toHaveLength(0);
});
