// A batch merges a chunk of rows at a time while its file is read (store/batch-load.ts). Whatever the
// chunk size, the store must end the same as with one merge of the whole file: the same records,
// versions, history, rejected rows, events and counts, also when in-file duplicates straddle chunks,
// a refused batch had already merged chunks, and a full delivery withdraws records. Two stores take
// the same deliveries, one in a single chunk and one in chunks of three rows.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestFile } from '../../ingest/ingest-file.ts';
import { findCategory, findProviderUnit } from '../../schemas/registry.ts';
import { createTestDb, type TestDb } from '../helpers/pg.ts';
import { silentLog } from '../helpers/ingest.ts';
import { bad, changed, row, toCsv } from '../helpers/penalty-rows.ts';

const SMALL = 3;
let whole: TestDb;
let chunked: TestDb;
let dir: string;
beforeAll(async () => {
  [whole, chunked] = await Promise.all([createTestDb('merge_whole'), createTestDb('merge_chunked')]);
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-chunks-'));
});
afterAll(async () => {
  await Promise.all([whole?.drop(), chunked?.drop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});


async function deliver(db: TestDb, name: string, rows: string[][], chunkRows: number, extra: { maxRejects?: number; fullDelivery?: boolean } = {}) {
  const file = path.join(dir, `${name}.csv`);
  writeFileSync(file, toCsv(rows));
  return ingestFile(db.db, { file, category: findCategory('penalty')!, deliverer: findProviderUnit('ndrc')!, mergeChunkRows: chunkRows, ...extra }, { log: silentLog });
}

/** Both stores take the delivery; returns the two reports, whose outcome must agree. */
async function both(name: string, rows: string[][], extra: { maxRejects?: number; fullDelivery?: boolean } = {}) {
  const a = await deliver(whole, name, rows, 1_000_000, extra);
  const b = await deliver(chunked, name, rows, SMALL, extra);
  const outcome = (r: typeof a) => ({ status: r.status, read: r.read, accepted: r.accepted, rejected: r.rejected, inserted: r.inserted, updated: r.updated, unchanged: r.unchanged, duplicates: r.duplicates });
  expect(outcome(b)).toEqual(outcome(a));
  return a;
}

/** What a store holds, without ids, batch ids and times (which differ between the two stores by construction). */
async function snapshot(t: TestDb) {
  const k = t.db.knex;
  const records = await k('credit_records').select('natural_key', 'fields', 'content_hash', 'version', 'source_line', 'subject_uscc').orderBy('natural_key');
  const history = await k('credit_record_versions').select('natural_key', 'content_hash', 'version', 'source_line').orderBy(['natural_key', 'version']);
  const rejected = (await k('rejected_rows').select('line', 'issues').orderBy(['line'])).map((r) => ({ line: r.line, codes: r.issues.map((i: { code: string }) => i.code) }));
  const events = await k('credit_events as e').join('credit_records as r', 'r.id', 'e.record_id')
    .select('e.type', 'r.natural_key', 'e.record_version', 'e.source_line', 'e.backfill').orderBy(['r.natural_key', 'e.type', 'e.record_version', 'e.source_line']);
  const withdrawnEvents = await k('credit_events').where({ type: 'record.withdrawn' }).count({ n: '*' });
  const batches = await k('batches').select('file_name', 'status', 'inserted', 'updated', 'unchanged', 'duplicates', 'withdrawn', 'rejected').orderBy('received_at');
  return { records, history, rejected, events, withdrawnEvents, batches };
}

it('merging in chunks leaves the store as one merge of the whole file does', async () => {
  // First delivery: rows 0-11; row 1 again at the end with a change (the later line wins), row 2
  // again unchanged in the middle, one bad row. Chunks of three put each pair in different chunks.
  const first = [row(0), row(1), row(2), row(3), row(4), row(5), row(2), row(6), bad(row(7)), row(8), row(9), row(10), row(11), changed(row(1), '更正')];
  const r1 = await both('first', first);
  // by hand: 14 lines, row 7 rejected, 13 accepted over 11 distinct keys (rows 0-6 and 8-11)
  expect(r1).toMatchObject({ status: 'loaded', read: 14, accepted: 13, rejected: 1, inserted: 11, updated: 0, unchanged: 0, duplicates: 2 });

  // Second: row 3 changed; row 4 changed, then again changed differently later (one update, one
  // duplicate); row 5 unchanged first, then changed later (an update); row 6 the same as stored;
  // rows 12 and 13 new.
  const second = [row(0), changed(row(3), '复议'), changed(row(4), '一'), row(5), row(6), row(12), changed(row(4), '二'), row(13), changed(row(5), '后改')];
  const r2 = await both('second', second);
  expect(r2).toMatchObject({ status: 'loaded', read: 9, accepted: 9, rejected: 0, inserted: 2, updated: 3, unchanged: 2, duplicates: 2 });

  // Third: over its budget only at its last line, after chunks with changes and new keys merged.
  const before = await snapshot(chunked);
  const third = [changed(row(0), '三'), row(14), changed(row(3), '再改'), row(15), changed(row(6), '三'), bad(row(16)), bad(row(17))];
  const r3 = await both('third', third, { maxRejects: 1 });
  expect(r3).toMatchObject({ status: 'refused', rejected: 2 });
  const after = await snapshot(chunked);
  expect({ ...after, rejected: undefined, batches: undefined }).toEqual({ ...before, rejected: undefined, batches: undefined });
  expect(after.rejected.filter((x) => x.line === 7 || x.line === 8)).toHaveLength(2); // its rejected rows are kept

  // Fourth: a full delivery of fewer rows withdraws the rest.
  const r4 = await both('fourth', [row(0), row(1), changed(row(2), '四')], { fullDelivery: true });
  expect(r4).toMatchObject({ status: 'loaded', inserted: 0, updated: 2 });

  expect(await snapshot(chunked)).toEqual(await snapshot(whole));
});
