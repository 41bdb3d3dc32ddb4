// Small hostile input: a header followed by a quarter of a million one-character lines (0.75 MB). It
// used to fill the parse worker's 64 MB heap (csv-parse built an error object per short record, and a
// whole chunk was split before any record went on) and fail the batch; every row is rejected now, the
// batch loaded, with the work per piece of input bounded.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HEADER } from '../helpers/hostile-files.ts';
import { ingest } from '../helpers/ingest.ts';
import { createTestDb, type TestDb } from '../helpers/pg.ts';

let t: TestDb;
let dir: string;
beforeAll(async () => {
  t = await createTestDb('short_lines');
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-short-lines-'));
});
afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const LINES = 250_000;

for (const [name, line] of [['one character', () => 'x'], ['one and two cells in turn', (i: number) => (i % 2 ? 'x' : 'x,y')]] as const) {
  it(`a header and ${LINES.toLocaleString('en-US')} lines of ${name}: every row rejected, the batch loaded, never failed`, async () => {
    const file = path.join(dir, `${name}.csv`);
    writeFileSync(file, `${HEADER}\n${Array.from({ length: LINES }, (_, i) => `${line(i)}\n`).join('')}`);
    const r = await ingest(t.db, file, 'penalty', 'ndrc');
    expect(r.error ?? null).toBeNull();
    expect(r).toMatchObject({ status: 'loaded', read: LINES, accepted: 0, rejected: LINES });
    expect(r.issues[0]).toMatchObject({ line: 2, code: 'E_ROW_FIELD_COUNT' });
    expect(Number((await t.db.knex('rejected_rows').where({ batch_id: r.batchId }).count({ n: '*' }))[0].n)).toBe(LINES);
  }, 120_000);
}
