// Starts every stand-in the demo sources file points at: seven provider APIs (real HTTP servers),
// the source database and the drop folder, with their data, controls and call log. Tests and the
// demo run (npm start) use this; testkit/stand-ins/README.md describes the API.
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { API_IDS, APIS, PER_ENTERPRISE, type ApiId } from './apis.ts';
import { Dataset, type StoredRecord } from './dataset.ts';
import { dropCsv } from './drop-folder.ts';
import { CallLog, FaultQueue } from './faults.ts';
import { correction, DROP_FILE_ROWS, FixtureData, SOURCE_DB_ROWS } from './fixture-data.ts';
import { startProviderServer, type ProviderServer } from './provider-server.ts';
import { startSourceDb, type SourceDbStandIn } from './source-db.ts';

export interface StandInOptions {
  /** PostgreSQL server on which the source database is created (default: local, trust auth). */
  readonly adminUrl?: string;
  /** Start the source-database stand-in (default true). The embedded demo has no PostgreSQL server to put it on. */
  readonly sourceDb?: boolean;
  /** Same seed, same data (default 'stand-ins'). */
  readonly seed?: string;
  /** Drop folder (default: a fresh temporary folder, removed on close). */
  readonly dropDir?: string;
  readonly host?: string;
  /** Fixed ports by API (default 0: any free port). */
  readonly ports?: Partial<Record<ApiId, number>>;
}

export interface ApiControl {
  fail(status: number, times?: number): void;
  rateLimit(times?: number, retryAfterSeconds?: number): void;
  hang(times?: number): void;
  slow(ms: number, times?: number): void;
  malformed(times?: number): void;
  reset(): void;
  /** `n` new records (per-enterprise APIs: one for each of the first `n` customers). */
  add(n: number, opts?: { atLatest?: boolean }): readonly StoredRecord[];
  /** Corrects `n` records. */
  modify(n: number): readonly StoredRecord[];
  /** What the API serves now. */
  records(): readonly StoredRecord[];
}

export interface StandIns {
  readonly env: Readonly<Record<string, string>>;
  readonly urls: Readonly<Record<ApiId, string>>;
  /** Absent when started with `sourceDb: false`. */
  readonly sourceDb: { readonly url: string; readonly table: string } | undefined;
  readonly dropDir: string;
  /** USCCs a per-enterprise provider has data for, in pool order. */
  enterprises(api: ApiId): readonly string[];
  readonly control: {
    api(api: ApiId): ApiControl;
    readonly sourceDb: { add(n: number, opts?: { atLatest?: boolean }): Promise<void>; modify(n: number): Promise<number>; count(): Promise<number> } | undefined;
    readonly dropFolder: { drop(opts?: { name?: string; rows?: number; encoding?: 'utf-8' | 'gb18030' }): Promise<string>; rowsDropped(): number };
  };
  readonly calls: CallLog;
  close(): Promise<void>;
}

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

function apiControl(api: ApiId, data: FixtureData, dataset: Dataset, faults: FaultQueue): ApiControl {
  return {
    fail: (status, times = 1) => faults.push({ kind: 'status', status }, times),
    rateLimit: (times = 1, retryAfterSeconds = 1) => faults.push({ kind: 'rate-limit', retryAfterSeconds }, times),
    hang: (times = 1) => faults.push({ kind: 'hang' }, times),
    slow: (ms, times = 1) => faults.push({ kind: 'slow', ms }, times),
    malformed: (times = 1) => faults.push({ kind: 'malformed' }, times),
    reset: () => faults.clear(),
    add: (n, opts) => dataset.add(data.more(api, n), opts),
    modify: (n) => dataset.modify(n, correction(api)),
    records: () => dataset.all(),
  };
}

export async function startStandIns(opts: StandInOptions = {}): Promise<StandIns> {
  const host = opts.host ?? '127.0.0.1';
  const data = new FixtureData(opts.seed ?? 'stand-ins');
  const calls = new CallLog();
  const servers: ProviderServer[] = [];
  const controls = new Map<ApiId, ApiControl>();
  const urls = {} as Record<ApiId, string>;
  const env: Record<string, string> = {};
  const ownDropDir = opts.dropDir === undefined;
  const dropDir = opts.dropDir ?? (await mkdtemp(path.join(tmpdir(), 'credit-etl-drop-')));
  let sourceDb: SourceDbStandIn | undefined;

  const close = async () => {
    await Promise.all(servers.map((s) => s.close()));
    await sourceDb?.close();
    if (ownDropDir) await rm(dropDir, { recursive: true, force: true });
  };

  try {
    for (const api of API_IDS) {
      const def = APIS[api];
      const dataset = new Dataset(`${api.slice(0, 2).toUpperCase()}`);
      dataset.seed(data.initial(api));
      const known = new Set(PER_ENTERPRISE.includes(api) ? data.customers(api).map((e) => e.uscc) : []);
      const faults = new FaultQueue();
      const server = await startProviderServer(def, dataset, faults, calls, { host, port: opts.ports?.[api] ?? 0, knows: (u) => known.has(u) });
      servers.push(server);
      urls[api] = server.url;
      env[`STANDIN_${api.toUpperCase()}_URL`] = server.url;
      env[def.auth.env] = def.auth.token;
      controls.set(api, apiControl(api, data, dataset, faults));
    }
    if (opts.sourceDb !== false) {
      sourceDb = await startSourceDb(opts.adminUrl ?? DEFAULT_ADMIN_URL, data.decisions('enforcement', SOURCE_DB_ROWS));
      env.STANDIN_SOURCE_DB_URL = sourceDb.url;
    }
    await mkdir(dropDir, { recursive: true });
    env.STANDIN_DROP_DIR = dropDir;
  } catch (e) {
    await close();
    throw e;
  }

  let dropped = 0;
  let files = 0;
  const db = sourceDb;
  const dropFolder = {
    async drop(o: { name?: string; rows?: number; encoding?: 'utf-8' | 'gb18030' } = {}) {
      const rows = data.decisions('penalty', o.rows ?? DROP_FILE_ROWS);
      dropped += rows.length;
      files++;
      return dropCsv(dropDir, o.name ?? `行政处罚-市发展改革委-${String(files).padStart(3, '0')}.csv`, rows, o.encoding ?? 'utf-8');
    },
    rowsDropped: () => dropped,
  };
  // One export as Excel saves it (GBK) is waiting when the stand-ins start.
  await dropFolder.drop({ encoding: 'gb18030' });

  return {
    env, urls, dropDir,
    sourceDb: db && { url: db.url, table: db.table },
    enterprises: (api) => data.customers(api).map((e) => e.uscc),
    control: {
      api: (api) => controls.get(api)!,
      sourceDb: db && { add: (n, o) => db.add(data.decisions('enforcement', n), o), modify: (n) => db.modify(n), count: () => db.count() },
      dropFolder,
    },
    calls,
    close,
  };
}
