// The binary COPY encoder against real servers: every row lands whole and in order, whatever its
// size relative to a chunk, on PostgreSQL (one COPY stream per copy) and PGlite (one COPY per chunk).
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CreditRecord, RowIssue } from '../pipelines/types.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { createStager, STAGING_DDL, StagingEncoder, type Stager } from './staging.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('staging');
});
afterAll(async () => {
  await t?.drop();
});

const record = (line: number, eventDate: string | null, name = '临沂市兰山区某某商贸有限公司'): CreditRecord => ({
  category: 'penalty', naturalKey: `k|${line}|"quoted",comma\\back`, subjectUscc: '91371302MA3C9XXXXX', subjectName: name, eventDate,
  fields: { subject_name: name, facts: '违法事实\n第二行\t"引号"', penalty_kinds: ['罚款', '警告'], fine_wan: '1.5' },
  provenance: { sourceUnit: '临沂市市场监督管理局', deliveredBy: 'd', batchId: 'b', sourceLine: line, receivedAt: 'r', schemaVersion: '1', contentHash: `h${line}` },
});
const issue: RowIssue = { line: 3, column: '统一社会信用代码', field: 'subject_uscc', value: 'bad', code: 'E_USCC_LENGTH', messageZh: '中', messageEn: 'en' };
const huge = '违'.repeat(400_000); // 1.2 MB of UTF-8: larger than any chunk

/** Two copies, as a batch makes between merges: the rows of both land, in order. */
async function stageRows(stager: Stager): Promise<void> {
  const enc = new StagingEncoder(stager.chunkBytes);
  enc.accepted(record(2, '2024-02-29'));
  enc.rejected(3, [huge, 'a\u0000b'], [issue]);
  enc.accepted(record(4, null));
  await stager.copy(enc.takeAll());
  enc.accepted(record(5, '1999-12-31', '𠀀𡃁 four-byte'));
  for (let line = 6; line < 3006; line++) enc.accepted(record(line, '2099-12-31'));
  await stager.copy(enc.takeAll());
  await stager.copy(enc.takeAll()); // nothing left: a COPY of no rows
}

function expectStaged(rows: any[]): void {
  expect(rows).toHaveLength(3004);
  expect(rows.map((r) => r.source_line)).toEqual([2, 3, 4, 5, ...Array.from({ length: 3000 }, (_, i) => i + 6)]);
  const [first, rejected, noDate, old] = rows;
  expect(first).toMatchObject({ kind: 'a', natural_key: 'k|2|"quoted",comma\\back', event_date: '2024-02-29', content_hash: 'h2', cells: null });
  expect(first.fields).toEqual(record(2, null).fields);
  expect(rejected).toMatchObject({ kind: 'r', natural_key: null, fields: null, cells: [huge, 'a␀b'], issues: [issue] });
  expect(noDate.event_date).toBeNull();
  expect(old).toMatchObject({ event_date: '1999-12-31', subject_name: '𠀀𡃁 four-byte' });
  expect(rows.at(-1)).toMatchObject({ event_date: '2099-12-31', natural_key: 'k|3005|"quoted",comma\\back' });
}

const READ = `SELECT kind, source_line, natural_key, subject_name, to_char(event_date, 'YYYY-MM-DD') AS event_date, fields, content_hash, cells, issues
  FROM stg ORDER BY source_line`;

it('stages rows through binary COPY statements on PostgreSQL', async () => {
  const client = new pg.Client({ connectionString: t.url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(STAGING_DDL);
    await stageRows(createStager('pg', client));
    expectStaged((await client.query(READ)).rows);
    await client.query('ROLLBACK');
  } finally {
    await client.end();
  }
});

it('stages rows through one COPY per chunk on PGlite', async () => {
  const lite = new PGlite();
  try {
    await lite.query('BEGIN');
    await lite.query(STAGING_DDL);
    await stageRows(createStager('pglite', lite));
    expectStaged((await lite.query(READ)).rows);
  } finally {
    await lite.close();
  }
});
