// Helpers of the collection tests: a Redis key prefix per test run (and its cleanup), and a small
// deterministic connector: `total` water bills in pages, a checkpoint after each page, optionally
// slow (so a worker can be killed mid-run) and optionally failing (so retries can be watched).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Connector, SourceConfigBase, SourceMessage } from '../../connectors/types.ts';
import type { SourceCatalog } from '../../jobs/catalog.ts';
import { TEST_AUDIT_KEY } from './pg.ts';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

export function testPrefix(): string {
  return `t-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under the prefix (and only those: other runs share this Redis). */
export async function deletePrefix(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export interface SequenceConfig extends SourceConfigBase {
  readonly total: number;
  readonly pageSize: number;
  /** Pause before each page, ms. */
  readonly delayMs?: number;
  /** Account numbers start here, so two sources never share records. */
  readonly base: number;
}

/** The i-th bill of a sequence source: a valid water record with a natural key of its own. */
export function bill(i: number) {
  return {
    subject_name: '临沂市兰山区示例商贸有限公司', subject_uscc: '91371300328348377N', account_name: '临沂市兰山区示例商贸有限公司',
    account_no: `LS${String(i).padStart(7, '0')}`, billing_month: '2024-10', usage: 10 + (i % 7), amount_due: 51.2, amount_paid: 51.2, in_arrears: false,
  };
}

/**
 * Failures injected by source id, consumed one per page read: an error object with the given
 * code and retryable, the way a connector's typed errors look.
 */
export type Faults = Map<string, { code: string; retryable: boolean; times: number; afterRows?: number }>;

export function sequenceConnector(faults: Faults = new Map()): Connector<SequenceConfig> {
  return {
    kind: 'test-sequence',
    configSchema: { type: 'object' },
    check: async () => undefined,
    async *read(cfg, ctx, since): AsyncGenerator<SourceMessage> {
      for (let offset = typeof since === 'number' ? since : 0; offset < cfg.total; offset += cfg.pageSize) {
        if (cfg.delayMs) await sleep(cfg.delayMs, undefined, { signal: ctx.signal }).catch(() => undefined);
        const f = faults.get(cfg.id);
        if (f && f.times > 0 && offset >= (f.afterRows ?? 0)) {
          f.times--;
          throw Object.assign(new Error(`injected ${f.code}`), { code: f.code, retryable: f.retryable });
        }
        const end = Math.min(cfg.total, offset + cfg.pageSize);
        const rows = [];
        for (let i = offset; i < end; i++) rows.push(bill(cfg.base + i));
        yield { kind: 'rows', rows };
        yield { kind: 'checkpoint', cursor: end };
      }
    },
  };
}

export function sequenceSource(id: string, base: number, total: number, extra: Partial<SequenceConfig> = {}): SequenceConfig {
  return { id, kind: 'test-sequence', category: 'water', provider: 'water-utility', schedule: '0 30 1 * * *', total, pageSize: 50, base, ...extra };
}

export function sequenceCatalog(sources: readonly SequenceConfig[], faults?: Faults): SourceCatalog {
  const connector = sequenceConnector(faults) as unknown as Connector;
  return { sources, connector: () => connector };
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  /** Resolves when the process has exited (with its signal, if killed). */
  readonly exited: Promise<NodeJS.Signals | number | null>;
  output(): string;
}

const WORKER_ENTRY = fileURLToPath(new URL('./collect-worker.ts', import.meta.url));

/** A real worker process (test/helpers/collect-worker.ts) serving the sources in `sourcesFile`. */
export function spawnWorker(sourcesFile: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY, sourcesFile], {
    env: { ...process.env, LOG_LEVEL: 'warn', CREDIT_ETL_AUDIT_KEY: TEST_AUDIT_KEY, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready:\n${out}`)));
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  return { child, ready, exited, output: () => out };
}

/** Polls until `check` returns a value other than undefined (no timing assertion: the test timeout bounds it). */
export async function eventually<T>(check: () => Promise<T | undefined>, everyMs = 200): Promise<T> {
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(everyMs);
  }
}
