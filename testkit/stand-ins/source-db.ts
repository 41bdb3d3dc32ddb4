// The source-database stand-in: a PostgreSQL database of its own holding 临沂市大数据局's
// enforcement table, the way a department's system has it (its own column names, a bigserial id,
// gxsj stamped per import batch, so several rows share one gxsj).
import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabase } from '../../store/databases.ts';
import knexFactory, { type Knex } from 'knex';
import type { SyntheticRecord } from '../synthetic.ts';
import { SOURCE_DB_COLUMNS, SOURCE_DB_TABLE } from './apis.ts';

export interface SourceDbStandIn {
  readonly url: string;
  readonly table: string;
  /** Inserts rows stamped with a new gxsj, or with the newest gxsj present (a tie at the run boundary). */
  add(rows: readonly SyntheticRecord[], opts?: { atLatest?: boolean }): Promise<void>;
  /** Corrects the remarks (bz) of the `n` oldest rows not yet corrected, with a new gxsj. */
  modify(n: number): Promise<number>;
  count(): Promise<number>;
  close(): Promise<void>;
}

const ROWS_PER_IMPORT = 4;

const toRow = (r: SyntheticRecord, gxsj: string | Knex.Raw) =>
  ({ ...Object.fromEntries(Object.entries(SOURCE_DB_COLUMNS).map(([key, col]) => [col, r[key] || null])), gxsj });

export async function startSourceDb(adminUrl: string, rows: readonly SyntheticRecord[]): Promise<SourceDbStandIn> {
  const name = `credit_etl_src_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(adminUrl, name);
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
  await knex.schema.createTable(SOURCE_DB_TABLE, (t) => {
    t.bigIncrements('id');
    for (const [key, col] of Object.entries(SOURCE_DB_COLUMNS)) (key === 'executed_at' ? t.date(col) : t.text(col));
    t.timestamp('gxsj', { useTz: true }).notNullable();
    t.index(['gxsj', 'id']);
  });
  const start = Date.UTC(2025, 6, 1, 2, 0, 0);
  await knex(SOURCE_DB_TABLE).insert(rows.map((r, i) => toRow(r, new Date(start + Math.floor(i / ROWS_PER_IMPORT) * 1000).toISOString())));
  const next = knex.raw("(SELECT max(gxsj) + interval '1 minute' FROM ??)", [SOURCE_DB_TABLE]);
  const latest = knex.raw('(SELECT max(gxsj) FROM ??)', [SOURCE_DB_TABLE]);

  return {
    url,
    table: SOURCE_DB_TABLE,
    add: async (more, opts = {}) => {
      // One statement: the subquery sees the table as it was before it, so every row gets the same gxsj.
      await knex(SOURCE_DB_TABLE).insert(more.map((r) => toRow(r, opts.atLatest ? latest : next)));
    },
    modify: async (n) => {
      const ids = knex(SOURCE_DB_TABLE).select('id').whereRaw("coalesce(bz, '') <> '信息更正'").orderBy('id').limit(n);
      return knex(SOURCE_DB_TABLE).whereIn('id', ids).update({ bz: '信息更正', gxsj: next });
    },
    count: async () => Number((await knex(SOURCE_DB_TABLE).count({ n: '*' }).first())?.n ?? 0),
    close: async () => {
      await knex.destroy();
      await dropDatabase(adminUrl, name);
    },
  };
}
