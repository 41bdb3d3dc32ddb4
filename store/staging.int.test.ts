// The binary COPY encoder against real servers: every row lands whole, in order and in the table it
// was routed to, whatever its size relative to a chunk, on PostgreSQL (one COPY stream per copy) and
// PGlite (one COPY per chunk).
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CreditRecord, RowIssue } from '../pipelines/types.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { createStager, pgMicros, pick, prepareBatch, STAGING_DDL, StagingEncoder, type BatchConstants, type Segment, type Stager } from './staging.ts';
import { fromPayload } from './payload.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('staging');
});
afterAll(async () => {
  await t?.drop();
});

const record = (line: number, eventDate: string | null, name = '临沂市兰山区某某商贸有限公司'): CreditRecord => ({
  category: 'penalty', naturalKey: `k|${line}|"quoted",comma\\back`, subjectUscc: '91371302MA3C9XXXXX', subjectName: name, eventDate,
  fields: { subject_name: name, violation_facts: '违法事实\n第二行\t"引号"', penalty_kinds: ['罚款', '警告'], fine_amount: '1.5' },
  provenance: { sourceUnit: '临沂市市场监督管理局', deliveredBy: 'd', batchId: 'b', sourceLine: line, receivedAt: 'r', schemaVersion: '1', contentHash: `h${line}` },
  sourceHash: line % 2 ? { hi: -line, lo: line - 2 ** 31 } : null,
});
const issue: RowIssue = { line: 3, column: '统一社会信用代码', field: 'subject_uscc', value: 'bad', code: 'E_USCC_LENGTH', messageZh: '中', messageEn: 'en' };
const huge = '违'.repeat(400_000); // 1.2 MB of UTF-8: larger than any chunk

/** Fingerprints at the edges of the two halves' ranges. */
const KNOWN = [{ hi: -1, lo: -1 }, { hi: 2 ** 31 - 1, lo: -(2 ** 31) }, { hi: -(2 ** 31), lo: 2 ** 31 - 1 }];
const asBigint = (h: { hi: number; lo: number }) => String((BigInt(h.hi) << 32n) + BigInt(h.lo >>> 0));

const constants: BatchConstants = {
  deliveredBy: '临沂市发展和改革委员会', batchId: '0f0e0d0c-0b0a-4908-8706-050403020100', schemaVersion: '2.1',
  receivedAtMicros: pgMicros('2026-12-06T01:02:03.456Z'), loadedAtMicros: pgMicros('2026-12-06T01:02:04.000Z') + 789n,
};

/**
 * What a batch does with a chunk: records encoded once, then each routed to credit_records or stg_a
 * (odd lines here), a rejected row to stg and keys to stg_keys, over two chunks.
 */
async function stageRows(stager: Stager): Promise<void> {
  const prepared = prepareBatch(constants);
  const enc = new StagingEncoder(stager.chunkBytes);
  const others = new StagingEncoder(stager.chunkBytes);
  const send = async (lines: number[], segments: Segment[]) => {
    const chunks = enc.takeAll();
    await stager.copy('records', pick(chunks, segments, (i) => lines[i] % 2 === 0));
    await stager.copy('merge', pick(chunks, segments, (i) => lines[i] % 2 === 1));
  };
  others.rejected(3, [huge, 'a\u0000b'], [issue]);
  await stager.copy('rejected', others.takeAll());
  await send([2, 5], [enc.record(record(2, '2024-02-29'), prepared), enc.record(record(5, '1999-12-31', '𠀀𡃁 four-byte'), prepared)]);
  const lines = Array.from({ length: 3000 }, (_, i) => i + 6);
  await send(lines, lines.map((l) => enc.record(record(l, l === 6 ? null : '2099-12-31'), prepared)));
  for (const k of ['k1', 'k|2']) others.key(k);
  await stager.copy('keys', others.takeAll());
  for (const h of KNOWN) others.sourceHash(h);
  await stager.copy('hashes', others.takeAll());
  await stager.copy('keys', others.takeAll()); // nothing left: a COPY of no rows
}

const READ_RECORDS = (table: string) => `SELECT natural_key, subject_uscc, subject_name, to_char(event_date, 'YYYY-MM-DD') AS event_date, fields, content_hash,
  version, source_unit, delivered_by, batch_id, source_line, to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS received_at,
  to_char(loaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS loaded_at, schema_version, source_hash::text FROM ${table} ORDER BY source_line`;

async function expectStaged(query: (sql: string) => Promise<any[]>): Promise<void> {
  const copied = await query(READ_RECORDS('credit_records'));
  const merged = await query(READ_RECORDS('stg_a'));
  expect(copied.map((r) => r.source_line)).toEqual([2, ...Array.from({ length: 1500 }, (_, i) => 6 + 2 * i)]);
  expect(merged.map((r) => r.source_line)).toEqual([5, ...Array.from({ length: 1500 }, (_, i) => 7 + 2 * i)]);
  expect(copied[0]).toMatchObject({
    natural_key: 'k|2|"quoted",comma\\back', subject_uscc: '91371302MA3C9XXXXX', event_date: '2024-02-29', content_hash: 'h2', version: 1,
    source_unit: '临沂市市场监督管理局', delivered_by: constants.deliveredBy, batch_id: constants.batchId,
    received_at: '2026-12-06 01:02:03.456000', loaded_at: '2026-12-06 01:02:04.000789', schema_version: '2.1',
  });
  expect(fromPayload('penalty', copied[0].fields)).toEqual(record(2, null).fields);
  expect(copied[1].event_date).toBeNull();
  expect(copied[0].source_hash).toBeNull();
  expect(merged[0]).toMatchObject({ event_date: '1999-12-31', subject_name: '𠀀𡃁 four-byte', source_hash: asBigint(record(5, null).sourceHash!) });
  expect(merged.at(-1)).toMatchObject({ event_date: '2099-12-31', natural_key: 'k|3005|"quoted",comma\\back' });
  expect(await query('SELECT source_line, cells, issues FROM stg')).toEqual([{ source_line: 3, cells: [huge, 'a␀b'], issues: [issue] }]);
  expect((await query('SELECT natural_key FROM stg_keys')).map((r) => r.natural_key)).toEqual(['k1', 'k|2']);
  expect((await query('SELECT source_hash::text AS h FROM stg_hashes')).map((r) => r.h)).toEqual(KNOWN.map(asBigint));
}

it('copies routed rows through binary COPY statements on PostgreSQL', async () => {
  const client = new pg.Client({ connectionString: t.url });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const ddl of STAGING_DDL) await client.query(ddl);
    await stageRows(createStager('pg', client));
    await expectStaged(async (sql) => (await client.query(sql)).rows);
    await client.query('ROLLBACK');
  } finally {
    await client.end();
  }
});

it('copies routed rows through one COPY per chunk on PGlite', async () => {
  const lite = new PGlite();
  try {
    // the table as the records migration makes it, without what PGlite does not need here
    await lite.query(`CREATE TABLE credit_records (id bigserial PRIMARY KEY, category text NOT NULL, natural_key text NOT NULL, subject_uscc text,
      subject_name text NOT NULL, event_date date, fields jsonb NOT NULL, content_hash text NOT NULL, version integer NOT NULL, source_unit text NOT NULL,
      delivered_by text NOT NULL, batch_id uuid NOT NULL, source_line integer NOT NULL, received_at timestamptz NOT NULL, loaded_at timestamptz NOT NULL,
      schema_version text NOT NULL, source_hash bigint)`);
    await lite.query('BEGIN');
    for (const ddl of STAGING_DDL) await lite.query(ddl);
    await stageRows(createStager('pglite', lite));
    await expectStaged(async (sql) => (await lite.query(sql)).rows as any[]);
  } finally {
    await lite.close();
  }
});
