// The tamper-evident access and operation log. Every entry's hash covers its own content and the
// previous entry's hash; appends are serialised so the chain has one order. `verifyAccessLog` walks
// the chain and reports every entry whose content, link or place no longer fits.
import { createHash } from 'node:crypto';
import type { Db } from './db.ts';
import { utcIso } from './sql.ts';

export interface AccessActor {
  readonly role: string;
  readonly unit: string;
  readonly tokenId: string | null;
}

export interface AccessEntryInput {
  readonly at: string;
  readonly requestId: string | null;
  readonly actor: AccessActor;
  readonly action: string;
  readonly enterprises: readonly string[];
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface AccessEntry extends AccessEntryInput {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level, so the hash does not depend on how jsonb orders them. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function entryHash(prevHash: string, seq: number, e: AccessEntryInput): string {
  const body = canonicalJson({
    seq, at: e.at, requestId: e.requestId, actor: e.actor, action: e.action, enterprises: e.enterprises, detail: e.detail,
  });
  return createHash('sha256').update(`${prevHash}\n${body}`).digest('hex');
}

const APPEND_LOCK = 'credit-etl access_log append';

/** The largest group of entries appended in one transaction. */
const MAX_GROUP = 100;

interface Pending {
  readonly entry: AccessEntryInput;
  resolve(e: AccessEntry): void;
  reject(err: unknown): void;
}

/** Per store: entries waiting for the next group, and whether a group is being appended. */
const queues = new WeakMap<Db, { pending: Pending[]; appending: boolean }>();

/**
 * Appends one entry; resolves once it is committed. Appends are serialised across processes by the
 * advisory lock, and the lock is held until the commit is flushed, so one transaction per entry would
 * cap the log (and every read it records) at one disk flush per entry. Entries that arrive while a
 * group is being committed therefore wait and go together in the next transaction (group commit), in
 * arrival order, each with its own seq and hash: the chain is the same as if they had been appended
 * one by one. If a group fails, its entries are retried one by one, so one bad entry fails only its
 * own caller.
 */
export function appendAccess(db: Db, e: AccessEntryInput): Promise<AccessEntry> {
  let q = queues.get(db);
  if (!q) queues.set(db, (q = { pending: [], appending: false }));
  const queue = q;
  const done = new Promise<AccessEntry>((resolve, reject) => queue.pending.push({ entry: e, resolve, reject }));
  if (!queue.appending) void drain(db, queue);
  return done;
}

async function drain(db: Db, q: { pending: Pending[]; appending: boolean }): Promise<void> {
  q.appending = true;
  try {
    while (q.pending.length) {
      const group = q.pending.splice(0, MAX_GROUP);
      try {
        const appended = await appendGroup(db, group.map((p) => p.entry));
        group.forEach((p, i) => p.resolve(appended[i]));
      } catch (err) {
        if (group.length === 1) {
          group[0].reject(err);
          continue;
        }
        for (const p of group) await appendGroup(db, [p.entry]).then(([a]) => p.resolve(a), p.reject);
      }
    }
  } finally {
    q.appending = false;
  }
}

async function appendGroup(db: Db, entries: readonly AccessEntryInput[]): Promise<AccessEntry[]> {
  return db.knex.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [APPEND_LOCK]);
    const head = await trx('access_log_head').select('seq', 'hash').first();
    let seq = head ? Number(head.seq) : 0;
    let prevHash: string = head ? head.hash : GENESIS_HASH;
    const appended = entries.map((e) => {
      seq += 1;
      const entry = { ...e, seq, prevHash, hash: entryHash(prevHash, seq, e) };
      prevHash = entry.hash;
      return entry;
    });
    await trx('access_log').insert(appended.map((a) => ({
      seq: a.seq, at: a.at, request_id: a.requestId, actor_role: a.actor.role, actor_unit: a.actor.unit, actor_token_id: a.actor.tokenId,
      action: a.action, enterprises: [...a.enterprises], detail: JSON.stringify(a.detail), prev_hash: a.prevHash, hash: a.hash,
    })));
    await trx.raw(`INSERT INTO access_log_head (one, seq, hash) VALUES (true, ?, ?)
      ON CONFLICT (one) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash`, [seq, prevHash]);
    return appended;
  });
}

const COLUMNS = ['seq', 'request_id', 'actor_role', 'actor_unit', 'actor_token_id', 'action', 'enterprises', 'detail', 'prev_hash', 'hash'];

function toEntry(r: any): AccessEntry {
  return {
    seq: Number(r.seq), at: r.at, requestId: r.request_id, actor: { role: r.actor_role, unit: r.actor_unit, tokenId: r.actor_token_id },
    action: r.action, enterprises: r.enterprises, detail: r.detail, prevHash: r.prev_hash, hash: r.hash,
  };
}

/** Entries in chain order, a page at a time. */
export async function* accessEntries(db: Db, pageSize = 1000): AsyncGenerator<AccessEntry> {
  let after = 0;
  for (;;) {
    const rows = await db.knex('access_log').select([...COLUMNS, db.knex.raw(utcIso('at'))])
      .where('seq', '>', after).orderBy('seq').limit(pageSize);
    for (const r of rows) yield toEntry(r);
    if (rows.length < pageSize) return;
    after = Number(rows[rows.length - 1].seq);
  }
}

export type ChainProblemKind = 'content' | 'link' | 'gap' | 'head';
export interface ChainProblem {
  readonly seq: number;
  readonly kind: ChainProblemKind;
  readonly messageZh: string;
  readonly messageEn: string;
}

export interface ChainReport {
  readonly ok: boolean;
  readonly entries: number;
  readonly problems: readonly ChainProblem[];
}

/** Walks the whole chain: each entry's hash, its link to the one before, gaps in seq, and the head. */
export async function verifyAccessLog(db: Db): Promise<ChainReport> {
  const problems: ChainProblem[] = [];
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  for await (const e of accessEntries(db)) {
    entries++;
    if (e.seq !== expectedSeq) {
      problems.push({ seq: e.seq, kind: 'gap', messageZh: `第 ${expectedSeq}–${e.seq - 1} 条记录缺失（被删除）`, messageEn: `entries ${expectedSeq}-${e.seq - 1} are missing (deleted)` });
    }
    if (e.prevHash !== prevHash) {
      problems.push({ seq: e.seq, kind: 'link', messageZh: `第 ${e.seq} 条记录与前一条记录的哈希不衔接`, messageEn: `entry ${e.seq} does not link to the entry before it` });
    }
    if (entryHash(e.prevHash, e.seq, e) !== e.hash) {
      problems.push({ seq: e.seq, kind: 'content', messageZh: `第 ${e.seq} 条记录内容与其哈希不符（被修改）`, messageEn: `entry ${e.seq} does not match its hash (edited)` });
    }
    prevHash = e.hash;
    expectedSeq = e.seq + 1;
  }
  const head = await db.knex('access_log_head').select('seq', 'hash').first();
  const lastSeq = expectedSeq - 1;
  if ((head ? Number(head.seq) : 0) !== lastSeq || (head ? head.hash : GENESIS_HASH) !== prevHash) {
    problems.push({
      seq: head ? Number(head.seq) : 0, kind: 'head',
      messageZh: `日志末尾与记录的最后一条（第 ${head ? head.seq : 0} 条）不符（末尾记录被删除或修改）`,
      messageEn: `the log does not end at its recorded last entry ${head ? head.seq : 0} (entries cut off or edited at the end)`,
    });
  }
  return { ok: problems.length === 0, entries, problems };
}

/** The entry of an issued report, by its number (report.issue entries carry it in detail.reportNo). */
export async function reportEntry(db: Db, reportNo: string): Promise<AccessEntry | undefined> {
  const r = await db.knex('access_log').select([...COLUMNS, db.knex.raw(utcIso('at'))])
    .where('action', 'report.issue').andWhereRaw(`detail->>'reportNo' = ?`, [reportNo]).first();
  return r ? toEntry(r) : undefined;
}
