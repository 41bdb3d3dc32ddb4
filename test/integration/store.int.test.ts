// The store's promises on real PostgreSQL: idempotent loads, history, error budget, provenance,
// encodings, and the outcome of every dirty fixture.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_LIMITS } from '../../pipelines/limits.ts';
import { createTestDb, type TestDb } from '../helpers/pg.ts';
import { fixture, ingest } from '../helpers/ingest.ts';
import { allReadable } from '../helpers/records.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('store');
});
afterAll(async () => {
  await t?.drop();
});

const count = async (table: string, where: Record<string, unknown> = {}) => Number((await t.db.knex(table).where(where).count({ n: '*' }))[0].n);
const toCsv = (rows: string[][]) => rows.map((r) => r.map((c) => (/[",\r\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(',')).join('\r\n') + '\r\n';

describe('loading a batch', () => {
  it('loads the licensing fixture with reconciled counts and every provenance column set', async () => {
    const r = await ingest(t.db, fixture('licensing.csv'), '行政许可', '市发展改革委');
    expect(r.status).toBe('loaded');
    expect(r.rejected).toBe(0);
    expect(r.read).toBeGreaterThanOrEqual(50);
    expect(r.inserted).toBe(r.accepted);
    const rows = await t.db.knex('credit_records').where({ batch_id: r.batchId });
    expect(rows).toHaveLength(r.inserted);
    const file = parse(readFileSync(fixture('licensing.csv')), { columns: true, bom: true }) as Record<string, string>[];
    for (const row of rows) {
      for (const col of ['source_unit', 'delivered_by', 'batch_id', 'source_line', 'received_at', 'loaded_at', 'schema_version', 'content_hash']) {
        expect(row[col], col).not.toBeNull();
      }
      expect(row.delivered_by).toBe('临沂市发展和改革委员会');
      expect(row.content_hash).toMatch(/^[0-9a-f]{64}$/);
      // the source unit is the row's own 数据提供单位 (the platform delivers on behalf of departments)
      const src = file[row.source_line - 2];
      expect(src['统一社会信用代码']).toBe(row.subject_uscc);
      expect(row.source_unit).toContain(src['数据提供单位'].replace(/^临沂市/, ''));
    }
    const batch = await t.db.knex('batches').where({ id: r.batchId }).first();
    expect(batch).toMatchObject({ status: 'loaded', encoding: 'utf-8', read: r.read, inserted: r.inserted, file_name: 'licensing.csv' });
    expect(batch.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('an identical re-ingest inserts and updates nothing', async () => {
    const first = await ingest(t.db, fixture('penalty.csv'), 'penalty', 'ndrc');
    const before = await t.db.knex('credit_records').where({ category: 'penalty' }).orderBy('id');
    const again = await ingest(t.db, fixture('penalty.csv'), 'penalty', 'ndrc');
    expect(again).toMatchObject({ status: 'loaded', inserted: 0, updated: 0, unchanged: first.accepted, duplicates: 0 });
    const after = await t.db.knex('credit_records').where({ category: 'penalty' }).orderBy('id');
    expect(after).toEqual(before); // not rewritten: provenance still names the first batch
    expect(await count('credit_record_versions', { category: 'penalty' })).toBe(0);
  });

  it('one changed row gives one update, and the old version stays queryable with its own provenance', async () => {
    const rows = parse(readFileSync(fixture('penalty.csv')), { bom: true }) as string[][];
    const col = rows[0].indexOf('行政处罚内容');
    const original = rows[3][col];
    rows[3][col] = `${original}（经复议变更）`;
    const dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const changed = path.join(dir, 'penalty-changed.csv');
    writeFileSync(changed, toCsv(rows));
    await ingest(t.db, fixture('penalty.csv'), 'penalty', 'ndrc');
    const r = await ingest(t.db, changed, 'penalty', 'ndrc');
    expect(r).toMatchObject({ status: 'loaded', inserted: 0, updated: 1, unchanged: r.accepted - 1 });
    const current = allReadable(await t.db.knex('credit_records').where({ batch_id: r.batchId }));
    expect(current).toHaveLength(1);
    expect(current[0].fields.content).toBe(rows[3][col]);
    expect(current[0]).toMatchObject({ version: 2, source_line: 4 });
    const history = allReadable(await t.db.knex('credit_record_versions').where({ record_id: current[0].id }));
    expect(history).toHaveLength(1);
    expect(history[0].fields.content).toBe(original);
    expect(history[0]).toMatchObject({ version: 1, superseded_by_batch: r.batchId });
    expect(history[0].batch_id).not.toBe(r.batchId);
  });

  it('a GBK file and its UTF-8 twin load identically', async () => {
    const gbk = await ingest(t.db, fixture('penalty.gbk.csv'), 'penalty', 'ndrc');
    expect(gbk.encoding).toBe('gb18030');
    expect(gbk.rejected).toBe(0);
    const snapshot = async () => (await t.db.knex('credit_records').where({ category: 'penalty' }).select('natural_key', 'fields', 'content_hash').orderBy('natural_key'));
    const afterGbk = await snapshot();
    const utf8 = await ingest(t.db, fixture('penalty.utf8-twin.csv'), 'penalty', 'ndrc');
    expect(utf8.encoding).toBe('utf-8');
    expect(utf8).toMatchObject({ status: 'loaded', read: gbk.read, accepted: gbk.accepted, inserted: 0, updated: 0, unchanged: gbk.accepted - gbk.duplicates });
    expect(await snapshot()).toEqual(afterGbk);
  });

  it('a batch over its error budget loads nothing and keeps its rejected rows', async () => {
    const before = await count('credit_records');
    const r = await ingest(t.db, fixture('dirty/penalty.mostly-bad.csv'), 'penalty', 'ndrc', { maxRejectRatio: 0.1 });
    expect(r.status).toBe('refused');
    expect(r.refusal?.code).toBe('R_OVER_BUDGET');
    expect(r.read).toBe(r.accepted + r.rejected);
    expect(await count('credit_records')).toBe(before);
    expect(await count('credit_records', { batch_id: r.batchId })).toBe(0);
    expect(await count('rejected_rows', { batch_id: r.batchId })).toBe(r.rejected);
    const byCount = await ingest(t.db, fixture('dirty/penalty.mostly-bad.csv'), 'penalty', 'ndrc', { maxRejects: 3 });
    expect(byCount.status).toBe('refused');
  });
});

interface Expected {
  category: string; deliveredBy: string; records: number; refusal: string | null; accepted: number;
  rejected: { line: number; code: string; field?: string }[];
  warnings?: { line: number; code: string }[];
  duplicates: { line: number; sameKeyAs: number }[];
}
const expected: Record<string, Expected> = JSON.parse(readFileSync(fixture('dirty/expected.json'), 'utf8'));

describe('dirty fixtures', () => {
  for (const [file, e] of Object.entries(expected)) {
    it(`${file}: ${e.refusal ?? `${e.accepted} of ${e.records} accepted`}`, async () => {
      const r = await ingest(t.db, fixture(`dirty/${file}`), e.category, e.deliveredBy);
      if (e.refusal) {
        expect(r.status).toBe('refused');
        expect(r.refusal?.code).toBe(e.refusal);
        return;
      }
      expect(r.status).toBe('loaded');
      expect(r.read).toBe(e.records);
      expect(r.accepted).toBe(e.accepted);
      expect(r.read).toBe(r.accepted + r.rejected);
      expect(r.accepted).toBe(r.inserted + r.updated + r.unchanged + r.duplicates);
      expect(r.duplicates).toBe(e.duplicates.length);
      const stored = await t.db.knex('rejected_rows').where({ batch_id: r.batchId }).orderBy('line');
      expect(stored.map((s: any) => s.line)).toEqual(e.rejected.map((x) => x.line));
      for (const want of e.rejected) {
        const row = stored.find((s: any) => s.line === want.line);
        const codes = row.issues.map((i: any) => i.code);
        expect(codes, `line ${want.line}`).toContain(want.code);
        for (const i of row.issues) {
          expect(i.line).toBe(want.line);
          expect(i.messageZh).toBeTruthy();
          expect(i.messageEn).toBeTruthy();
        }
      }
      for (const w of e.warnings ?? []) {
        expect(r.warnings.some((x) => x.code === w.code && x.line === w.line), `warning ${w.code} at ${w.line}`).toBe(true);
      }
    });
  }
});

describe('hostile files on the real store', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-hostile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const lines = readFileSync(fixture('penalty.csv'), 'utf8').split('\r\n');

  it('a row holding a NUL character is rejected (PostgreSQL cannot store it) and the rest of the batch loads', async () => {
    const file = path.join(dir, 'nul.csv');
    writeFileSync(file, [lines[0], `${lines[1]}x\u0000y`, lines[2], ''].join('\r\n'));
    const r = await ingest(t.db, file, 'penalty', 'ndrc');
    expect(r).toMatchObject({ status: 'loaded', read: 2, accepted: 1, rejected: 1 });
    expect(r.issues[0]).toMatchObject({ line: 2, code: 'E_ROW_NUL' });
    const stored = await t.db.knex('rejected_rows').where({ batch_id: r.batchId }).first();
    expect(stored.cells.at(-1)).toContain('x\u2400y');
  });

  it('limits are enforced while streaming and name the limit and the line', async () => {
    const limits = { ...DEFAULT_LIMITS, maxFileBytes: 20_000, maxRecordChars: 5_000, maxColumns: 40 };
    const big = await ingest(t.db, fixture('penalty.csv'), 'penalty', 'ndrc', { limits });
    expect(big.status).toBe('refused');
    expect(big.refusal?.code).toBe('R_FILE_TOO_LARGE');
    expect(big.refusal?.messageEn).toMatch(/> 20000 bytes, at line \d+/);
    expect(await count('credit_records', { batch_id: big.batchId })).toBe(0);

    const wide = path.join(dir, 'wide.csv');
    writeFileSync(wide, [[...lines[0].split(','), ...Array.from({ length: 20 }, (_, i) => `多余列${i}`)].join(','), ''].join('\r\n'));
    const tooWide = await ingest(t.db, wide, 'penalty', 'ndrc', { limits });
    expect(tooWide.refusal).toMatchObject({ code: 'R_TOO_MANY_COLUMNS', line: 1 });
    expect(tooWide.refusal?.messageEn).toContain('49 > 40');

    const longField = path.join(dir, 'long-field.csv');
    writeFileSync(longField, [lines[0], lines[1], `${lines[2]}${'长'.repeat(6_000)}`, lines[3], ''].join('\r\n'));
    const long = await ingest(t.db, longField, 'penalty', 'ndrc', { limits: { ...limits, maxFileBytes: 1e6 } });
    expect(long).toMatchObject({ status: 'loaded', read: 3, accepted: 2, rejected: 1 });
    expect(long.issues[0]).toMatchObject({ line: 3, code: 'E_ROW_TOO_LONG' });
    expect(long.issues[0].messageEn).toContain('5000');
  });

  // A workbook is recognised by its ZIP signature whatever its name; a damaged one is refused as unreadable.
  it('a damaged Excel workbook renamed .csv is refused with a message saying what it is', async () => {
    const file = path.join(dir, 'workbook.csv');
    writeFileSync(file, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, ...Buffer.from('[Content_Types].xml')]));
    const r = await ingest(t.db, file, 'penalty', 'ndrc');
    expect(r.status).toBe('refused');
    expect(r.refusal).toMatchObject({ code: 'R_WORKBOOK_UNREADABLE' });
    expect(r.refusal?.messageZh).toContain('Excel');
    // The library's English words stay out of the Chinese message (the file extension is no word).
    expect(r.refusal?.messageZh).not.toMatch(/\b(?!xlsx\b)[a-z]{4,}\b/);
    const batch = await t.db.knex('batches').where({ id: r.batchId }).first();
    expect(batch).toMatchObject({ status: 'refused', size_bytes: 27 });
  });
});
