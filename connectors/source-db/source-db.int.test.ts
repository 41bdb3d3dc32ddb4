// The source-database connector against a real PostgreSQL source database (the stand-in's own
// database): keyset pages on (gxsj, id) where several rows share one gxsj, exactly the delta on the
// next run, including rows that tie on the cursor value at the run boundary, and a row committed
// late with the boundary's gxsj and a lower id than rows already read.
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_DB_TABLE } from '../../testkit/stand-ins/apis.ts';
import { connectorConformance } from '../../testkit/stand-ins/conformance.ts';
import { demoSource, plainContext, readAll } from '../../testkit/stand-ins/run.ts';
import { startStandIns, type StandIns } from '../../testkit/stand-ins/stand-ins.ts';
import { sourceDb, type SourceDbConfig } from './index.ts';

const ID = 'enforcement-bigdata-db';
const idOf = (r: Record<string, unknown>) => String(r.id);

describe(`conformance: ${ID}`, () => {
  connectorConformance<SourceDbConfig>({
    connector: sourceDb,
    rowKey: idOf,
    async open() {
      const s = await startStandIns();
      return { cfg: demoSource<SourceDbConfig>(s, ID, { pageSize: 3 }), ctx: plainContext(s.env), expected: await s.control.sourceDb!.count(), close: s.close };
    },
  });
});

describe('source-db against the source database', () => {
  let s: StandIns;
  beforeAll(async () => {
    s = await startStandIns();
  });
  afterAll(() => s?.close());
  const cfg = (pageSize: number) => demoSource<SourceDbConfig>(s, ID, { pageSize });

  it('reads rows as the database has them: dates as text, no bookkeeping columns of its own', async () => {
    const { rows } = await readAll(cfg(100), plainContext(s.env));
    expect(rows[0]).not.toHaveProperty('__cursor');
    expect(String(rows[0].zxrq)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(String(rows[0].gxsj)).toMatch(/^2025-07-01 02:00:00\+00$/);
  });

  it('pages that split a group of rows sharing one gxsj lose and repeat nothing, at any page size', async () => {
    const total = await s.control.sourceDb!.count();
    for (const size of [1, 3, 4, 7]) {
      const { rows, messages } = await readAll(cfg(size), plainContext(s.env));
      expect(rows.map(idOf), `page size ${size}`).toEqual(Array.from({ length: total }, (_, i) => String(i + 1)));
      expect(messages.filter((m) => m.kind === 'checkpoint').length).toBe(Math.ceil(total / size));
    }
  });

  it('the next run reads exactly the added, tied and changed rows, and a late row with the boundary gxsj and a lower id', async () => {
    const ctx = plainContext(s.env);
    const first = await readAll(cfg(3), ctx);
    const before = await s.control.sourceDb!.count();
    await s.control.sourceDb!.add(2);
    await s.control.sourceDb!.add(3, { atLatest: true });
    expect(await s.control.sourceDb!.modify(2)).toBe(2);
    const second = await readAll(cfg(3), ctx, first.cursor);
    expect(second.rows.map(idOf).sort((a, b) => Number(a) - Number(b))).toEqual(['1', '2', ...Array.from({ length: 5 }, (_, i) => String(before + i + 1))]);
    expect(second.rows.filter((r) => ['1', '2'].includes(idOf(r))).every((r) => r.bz === '信息更正')).toBe(true);

    // A transaction that drew its id early and committed after the run: same gxsj as the watermark, lower id.
    const knex = knexFactory({ client: 'pg', connection: s.sourceDb!.url, pool: { min: 0, max: 1 } });
    try {
      const [{ gxsj }] = await knex(SOURCE_DB_TABLE).max({ gxsj: 'gxsj' });
      const template = await knex(SOURCE_DB_TABLE).where({ id: 3 }).first();
      await knex(SOURCE_DB_TABLE).insert({ ...template, id: 1000 + before, wsh: `${template.wsh}-补`, gxsj });
      await knex(SOURCE_DB_TABLE).insert({ ...template, id: 500, wsh: `${template.wsh}-迟`, gxsj });
    } finally {
      await knex.destroy();
    }
    const third = await readAll(cfg(3), ctx, second.cursor);
    expect(third.rows.map(idOf).sort()).toEqual([String(1000 + before), '500'].sort());
    expect((await readAll(cfg(3), ctx, third.cursor)).rows).toEqual([]);
  });

  it('a table that does not exist is a configuration error, not retried', async () => {
    await expect(readAll({ ...cfg(3), table: 'no_such_table' }, plainContext(s.env))).rejects.toMatchObject({ code: 'E_SOURCE_CONFIG', retryable: false });
  });

  it('an unreachable source database is retryable', async () => {
    const env = { ...s.env, STANDIN_SOURCE_DB_URL: 'postgres://postgres@127.0.0.1:1/none' };
    await expect(readAll(cfg(3), plainContext(env))).rejects.toMatchObject({ code: 'E_PROVIDER_UNAVAILABLE', retryable: true });
  });
});
