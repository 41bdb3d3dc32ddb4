// Pull from a provider's PostgreSQL table by a cursor column (e.g. updated_at) with the row id as
// tie-breaker. Every page asks for cursor >= watermark minus the ids already read at the watermark
// value (connectors/watermark.ts), so rows sharing the cursor value at a page or run boundary are
// neither lost nor read twice, including one committed later with the same value and a lower id.
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { sourceSchema } from '../config-schema.ts';
import { ProviderUnavailableError, SourceConfigError } from '../errors.ts';
import { secret } from '../secrets.ts';
import type { Connector, ConnectorContext, JsonValue, SourceConfigBase, SourceMessage } from '../types.ts';
import { advanceSorted, parseWatermark, type Watermark } from '../watermark.ts';

export interface SourceDbConfig extends SourceConfigBase {
  readonly kind: 'source-db';
  /** Environment variable holding the postgres:// connection string (it carries the password). */
  readonly connectionEnv: string;
  readonly table: string;
  readonly dbSchema?: string;
  readonly cursorColumn: string;
  readonly idColumn: string;
  /** Columns to read (default: all). */
  readonly columns?: readonly string[];
  readonly pageSize?: number;
}

const identifier = { type: 'string', pattern: '^[a-z_][a-z0-9_]{0,62}$' } as const;

// Dates and timestamps come back as the database prints them: a JS Date would drop microseconds
// (and with them equality on the cursor) and shift plain dates by the local offset.
const AS_TEXT = new Set([1082, 1083, 1114, 1184, 1266]);
const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') => (AS_TEXT.has(oid) ? (v: string) => v : pg.types.getTypeParser(oid, format as 'text')) };

function open(cfg: SourceDbConfig, ctx: ConnectorContext): Knex {
  return knexFactory({
    client: 'pg',
    // UTC session: the cursor's text form, kept in the checkpoint, must not depend on the server's time zone.
    connection: { connectionString: secret(ctx, cfg.connectionEnv, cfg.id), options: '-c TimeZone=UTC', types } as Knex.PgConnectionConfig,
    pool: { min: 0, max: 1 },
  });
}

const CURSOR = '__cursor';
const ID = '__id';

/** Trouble reaching the source database (network errors, SQLSTATE 08/53/57) is worth retrying; a bad table or column is not. */
function classify(e: unknown, cfg: SourceDbConfig): Error {
  const err = e as { code?: string; message?: string };
  if (err.code === '42P01' || err.code === '42703' || err.code === '3F000') {
    return new SourceConfigError([`${cfg.id}: ${err.message} (表或列不存在 / table or column does not exist)`]);
  }
  if (err.code === undefined || /^E[A-Z]+$/.test(err.code) || /^(08|53|57)/.test(err.code)) {
    return new ProviderUnavailableError(`源数据库 ${cfg.id} 暂时不可用：${err.message}`, `source database ${cfg.id} is unavailable: ${err.message}`, { source: cfg.id, pgCode: err.code });
  }
  return e as Error;
}

function page(knex: Knex, cfg: SourceDbConfig, wm: Watermark | undefined, limit: number): Knex.QueryBuilder {
  const table = cfg.dbSchema ? `${cfg.dbSchema}.${cfg.table}` : cfg.table;
  const q = knex(table)
    .select(cfg.columns?.length ? [...cfg.columns] : '*')
    .select(knex.raw('??::text AS ??', [cfg.cursorColumn, CURSOR]), knex.raw('??::text AS ??', [cfg.idColumn, ID]))
    .whereNotNull(cfg.cursorColumn)
    .orderBy([cfg.cursorColumn, cfg.idColumn])
    .limit(limit);
  if (wm) {
    q.where(cfg.cursorColumn, '>=', wm.value)
      .whereNot((w) => w.where(cfg.cursorColumn, wm.value).whereRaw('??::text = ANY(?::text[])', [cfg.idColumn, [...wm.ids]]));
  }
  return q;
}

async function* read(cfg: SourceDbConfig, ctx: ConnectorContext, since: JsonValue | undefined): AsyncGenerator<SourceMessage> {
  const knex = open(cfg, ctx);
  const size = cfg.pageSize ?? 1000;
  let wm = parseWatermark(since, cfg.id);
  try {
    for (;;) {
      ctx.signal.throwIfAborted();
      const rows: Record<string, unknown>[] = await page(knex, cfg, wm, size).catch((e) => Promise.reject(classify(e, cfg)));
      if (rows.length === 0) return;
      wm = advanceSorted(wm, rows.map((r) => ({ value: r[CURSOR] as string, id: r[ID] as string })));
      yield { kind: 'rows', rows: rows.map(({ [CURSOR]: _c, [ID]: _i, ...r }) => r) };
      yield { kind: 'checkpoint', cursor: wm as unknown as JsonValue };
      if (rows.length < size) return;
    }
  } finally {
    await knex.destroy();
  }
}

export const sourceDb: Connector<SourceDbConfig> = {
  kind: 'source-db',
  configSchema: sourceSchema('source-db', {
    connectionEnv: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$' },
    table: identifier,
    dbSchema: identifier,
    cursorColumn: identifier,
    idColumn: identifier,
    columns: { type: 'array', items: identifier, minItems: 1 },
    pageSize: { type: 'integer', minimum: 1, maximum: 100_000 },
  }, ['connectionEnv', 'table', 'cursorColumn', 'idColumn']),

  async check(cfg, ctx) {
    const knex = open(cfg, ctx);
    try {
      await page(knex, cfg, undefined, 1).catch((e) => Promise.reject(classify(e, cfg)));
    } finally {
      await knex.destroy();
    }
  },

  read: (cfg, ctx, since) => read(cfg, ctx, since),
};
