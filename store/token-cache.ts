// A serving process answers each request's token check from memory, and forgets every answer the
// moment any API token changes. A trigger announces every update, delete or truncate of api_tokens
// when it commits (migrations/20261206003000_api_tokens_notify.ts), whichever door it came through:
// the CLI, the admin API or plain SQL; this process listens on a connection of its own. While that
// connection is down nothing is answered from memory, and an answer is kept at most `ttlMs`, in case
// the connection died without a word and a notification was lost. Only live tokens are kept: an
// unknown token costs a lookup every time, so guessing cannot fill the memory, and a new token works
// at once. The embedded store serves one process, which looks every token up.
import type { Logger } from '../lib/logger.ts';
import { metrics } from '../lib/metrics.ts';
import { TOKEN_CHANNEL } from '../migrations/20261206003000_api_tokens_notify.ts';
import { findApiToken, type ApiToken } from './api-tokens.ts';
import type { Db } from './db.ts';

export interface TokenLookup {
  find(token: string): Promise<ApiToken | undefined>;
  /** Whether answers are kept: the listening connection is up. */
  listening(): boolean;
  close(): Promise<void>;
}

export interface TokenCacheOptions {
  /** How long an answer is kept at most, notifications or not. */
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  /** How often the listening connection is asked to answer, and how long it may take. */
  readonly heartbeatMs?: number;
  readonly heartbeatTimeoutMs?: number;
  readonly log?: Logger;
}

/** What the listening connection calls itself in pg_stat_activity. */
export const LISTENER_NAME = 'credit-etl token notifications';

const RECONNECT_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

export async function tokenLookup(db: Db, opts: TokenCacheOptions = {}): Promise<TokenLookup> {
  if (db.oneConnection) return { find: (t) => findApiToken(db, t), listening: () => false, close: async () => undefined };
  const cache = new TokenCache(db, opts);
  await cache.start();
  return cache;
}

class TokenCache implements TokenLookup {
  private readonly kept = new Map<string, { token: ApiToken; at: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  // Moves on every forgetting: a lookup that started before a change may answer after its
  // notification, and must not be kept then.
  private generation = 0;
  private conn: any;
  private retry: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  constructor(private readonly db: Db, private readonly opts: TokenCacheOptions) {
    this.ttlMs = opts.ttlMs ?? 10_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
  }

  listening = () => this.conn !== undefined;

  async find(token: string): Promise<ApiToken | undefined> {
    if (!this.conn) {
      metrics.tokenChecks.inc({ answer: 'not-listening' });
      return findApiToken(this.db, token);
    }
    const hit = this.kept.get(token);
    if (hit && Date.now() - hit.at < this.ttlMs) {
      metrics.tokenChecks.inc({ answer: 'memory' });
      return hit.token;
    }
    metrics.tokenChecks.inc({ answer: 'store' });
    const generation = this.generation;
    const found = await findApiToken(this.db, token);
    // a refreshed answer goes to the end, so that the oldest is the first one dropped
    this.kept.delete(token);
    if (found && this.conn && generation === this.generation) {
      if (this.kept.size >= this.maxEntries) this.kept.delete(this.kept.keys().next().value!);
      this.kept.set(token, { token: found, at: Date.now() });
    }
    return found;
  }

  private forget() {
    this.generation += 1;
    this.kept.clear();
  }

  /** Listens; if the store cannot be reached yet, every token is looked up until it can. */
  async start(): Promise<void> {
    await this.connect().catch((e: Error) => this.retryLater(e));
  }

  private async connect(): Promise<void> {
    const client = (this.db.knex as any).client;
    const conn = await client.acquireRawConnection();
    conn.on('error', (e: Error) => this.lost(conn, e));
    conn.on('end', () => this.lost(conn));
    conn.on('notification', () => this.forget());
    try {
      await conn.query(`SET application_name = '${LISTENER_NAME}'`);
      await conn.query(`LISTEN ${TOKEN_CHANNEL}`);
    } catch (e) {
      await client.destroyRawConnection(conn).catch(() => undefined);
      throw e;
    }
    // From now on the connection only waits: it must not keep alive a process that has nothing else
    // to do. Not before: a process starting with nothing else under way exited while LISTEN was out.
    conn.connection?.stream?.unref?.();
    if (this.closed) return void conn.connection?.stream?.destroy();
    // what changed while nobody listened was not heard
    this.forget();
    this.conn = conn;
    this.failures = 0;
    this.beat(conn);
  }

  /**
   * A connection can die without a word (a half-open TCP connection, a server that stopped): no
   * error, no notification either. It is asked to answer now and then, and taken for lost when it
   * does not in time.
   */
  private beat(conn: any) {
    const every = this.opts.heartbeatMs ?? 15_000;
    const within = this.opts.heartbeatTimeoutMs ?? 5_000;
    let asking = false;
    this.heartbeat = setInterval(() => {
      if (asking || this.conn !== conn) return;
      asking = true;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the listening connection did not answer within ${within} ms`)), within);
      });
      Promise.race([conn.query('SELECT 1'), late])
        .catch((e: Error) => this.lost(conn, e))
        .finally(() => {
          clearTimeout(timer);
          asking = false;
        });
    }, every);
    this.heartbeat.unref();
  }

  private lost(conn: any, e?: Error) {
    if (this.conn !== conn) return;
    this.conn = undefined;
    clearInterval(this.heartbeat);
    this.forget();
    // destroyed, not ended: a connection that does not answer would never confirm an end
    conn.connection?.stream?.destroy();
    this.retryLater(e);
  }

  private retryLater(e?: Error) {
    if (this.closed) return;
    const wait = RECONNECT_MS[Math.min(this.failures, RECONNECT_MS.length - 1)];
    this.failures += 1;
    this.opts.log?.warn({ err: e?.message, retryInMs: wait }, 'token notifications are not heard: every token is looked up until they are');
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connect().catch((err: Error) => this.retryLater(err));
    }, wait);
    this.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    const conn = this.conn;
    this.conn = undefined;
    this.forget();
    // held again while it ends, or a process with nothing else to do exits before it has
    conn?.connection?.stream?.ref?.();
    if (conn) await (this.db.knex as any).client.destroyRawConnection(conn).catch(() => undefined);
  }
}
