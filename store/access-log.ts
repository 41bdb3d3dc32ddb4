// The tamper-evident access and operation log. Every entry's hash is an HMAC, under a key held
// outside the database (store/audit-keys.ts), over its own content and the previous entry's hash;
// appends are serialised so the chain has one order. `verifyAccessLog` walks the chain and reports
// every entry whose content, link, key or place no longer fits, and checks the chain against the
// latest checkpoint exported outside the database (store/audit-checkpoint.ts), which is what catches
// entries cut off the end.
import { createHash, createHmac } from 'node:crypto';
import type { Knex } from 'knex';
import type { AuditKey, AuditKeyring } from './audit-keys.ts';
import type { Db } from './db.ts';
import { prepared, utcIso } from './sql.ts';
import { metrics } from '../lib/metrics.ts';

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
  /** The key whose HMAC the hash is; null for an entry written before the chain was keyed (plain SHA-256). */
  readonly keyId: string | null;
}

/** The entry a process writes first when its key is not the one the last entry was signed with. */
export const KEY_ROTATION_ACTION = 'audit.key-rotation';
const SYSTEM_ACTOR: AccessActor = { role: 'system', unit: 'credit-etl', tokenId: null };

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

/**
 * The entry's hash: HMAC-SHA256 under the key (whose id is part of what is signed), or, for an entry
 * written before the chain was keyed, plain SHA-256, which anyone can recompute.
 */
export function entryHash(prevHash: string, seq: number, e: AccessEntryInput, key: AuditKey | null): string {
  const body = canonicalJson({
    seq, at: e.at, requestId: e.requestId, actor: e.actor, action: e.action, enterprises: e.enterprises, detail: e.detail,
    ...(key ? { keyId: key.id } : {}),
  });
  return (key ? createHmac('sha256', key.secret) : createHash('sha256')).update(`${prevHash}\n${body}`).digest('hex');
}

const APPEND_LOCK = 'credit-etl access_log append';

const ENTRY_COLUMNS = 'seq, at, request_id, actor_role, actor_unit, actor_token_id, action, enterprises, detail, prev_hash, hash, key_id';
/** A group's entries as one JSON array, so that the text is the same for any group size and can be prepared. */
const ENTRIES_FROM_JSON = `SELECT * FROM jsonb_to_recordset(?::jsonb) AS e(seq bigint, at timestamptz, request_id text, actor_role text, actor_unit text,
      actor_token_id uuid, action text, enterprises text[], detail jsonb, prev_hash text, hash text, key_id text)`;

/** Under the lock: the group's entries and the new head, in one statement. */
const APPEND_SQL = `WITH appended AS (
    INSERT INTO access_log (${ENTRY_COLUMNS})
    ${ENTRIES_FROM_JSON})
  INSERT INTO access_log_head (one, seq, hash, key_id) VALUES (true, ?, ?, ?)
  ON CONFLICT (one) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, key_id = EXCLUDED.key_id`;

/**
 * One statement, in a transaction of its own: takes the lock (a one-time filter, so before the head's
 * row is touched), then moves the head only if it is still the entry the group was chained after, and
 * inserts the group only if it did; otherwise it moves and inserts nothing. Taking the lock first
 * matters under contention: appenders that each wait for the head's row lock instead are all woken at
 * every commit (16 to 240 appends a second with 16 at once, against 2,500-2,700 with the lock first).
 */
const APPEND_AFTER_SQL = `WITH moved AS (
    UPDATE access_log_head SET seq = ?, hash = ?, key_id = ?
    WHERE one AND seq = ? AND hash = ? AND (SELECT pg_advisory_xact_lock(hashtext(?))) IS NOT NULL RETURNING 1)
  INSERT INTO access_log (${ENTRY_COLUMNS})
    ${ENTRIES_FROM_JSON} WHERE EXISTS (SELECT 1 FROM moved)`;

/** The largest group of entries appended in one transaction. */
const MAX_GROUP = 100;

interface Pending {
  readonly entry: AccessEntryInput;
  resolve(e: AccessEntry): void;
  reject(err: unknown): void;
}

interface Head {
  readonly seq: number;
  readonly hash: string;
  readonly keyId: string | null;
}

/**
 * Per store: entries waiting for the next group, whether a group is being appended, and the head this
 * process wrote last (undefined before its first append, and while an append's outcome is unknown).
 */
interface AppendQueue {
  pending: Pending[];
  appending: boolean;
  head?: Head;
}
const queues = new WeakMap<Db, AppendQueue>();

/**
 * Appends one entry; resolves once it is committed. The chain has one order across processes, and
 * each commit waits for its flush to disk, so one commit per entry would cap the log (and every read
 * it records) at one flush per entry. Entries that arrive while a group is being committed therefore
 * wait and go together in the next commit (group commit), in arrival order, each with its own seq and
 * hash: the chain is the same as if they had been appended one by one. If a group fails, its entries
 * are retried one by one, so one bad entry fails only its own caller.
 */
export function appendAccess(db: Db, e: AccessEntryInput): Promise<AccessEntry> {
  let q = queues.get(db);
  if (!q) queues.set(db, (q = { pending: [], appending: false }));
  const queue = q;
  const done = new Promise<AccessEntry>((resolve, reject) => queue.pending.push({ entry: e, resolve, reject }));
  if (!queue.appending) void drain(db, queue);
  done.then(() => metrics.accessLogAppends.inc({ action: e.action, result: 'ok' }), () => metrics.accessLogAppends.inc({ action: e.action, result: 'error' }));
  return done;
}

async function drain(db: Db, q: AppendQueue): Promise<void> {
  q.appending = true;
  try {
    while (q.pending.length) {
      const group = q.pending.splice(0, MAX_GROUP);
      try {
        const appended = await appendGroup(db, q, group.map((p) => p.entry));
        group.forEach((p, i) => p.resolve(appended[i]));
      } catch (err) {
        if (group.length === 1) {
          group[0].reject(err);
          continue;
        }
        for (const p of group) await appendGroup(db, q, [p.entry]).then(([a]) => p.resolve(a), p.reject);
      }
    }
  } finally {
    q.appending = false;
  }
}

/**
 * Chains entries after the head under the store's current key. When the head was signed with another
 * key (or none), a rotation entry naming both goes first, so every change of key is in the chain
 * itself and the verifier accepts a new key nowhere else.
 */
function chainAfter(head: Head | undefined, entries: readonly AccessEntryInput[], key: AuditKey) {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  const rotation: AccessEntryInput[] = head && head.keyId !== key.id
    ? [{ at: entries[0].at, requestId: null, actor: SYSTEM_ACTOR, action: KEY_ROTATION_ACTION, enterprises: [], detail: { from: head.keyId, to: key.id } }]
    : [];
  const appended = [...rotation, ...entries].map((e) => {
    seq += 1;
    const entry: AccessEntry = { ...e, seq, prevHash, hash: entryHash(prevHash, seq, e, key), keyId: key.id };
    prevHash = entry.hash;
    return entry;
  });
  const rows = JSON.stringify(appended.map((a) => ({
    seq: a.seq, at: a.at, request_id: a.requestId, actor_role: a.actor.role, actor_unit: a.actor.unit, actor_token_id: a.actor.tokenId,
    action: a.action, enterprises: a.enterprises, detail: a.detail, prev_hash: a.prevHash, hash: a.hash, key_id: a.keyId,
  })));
  return { appended, rows, entries: appended.slice(rotation.length), head: { seq, hash: prevHash, keyId: key.id } };
}

/** The head as committed now (no lock: an append chained after it checks it again under the lock). */
async function headNow(db: Db, k: Knex): Promise<Head | undefined> {
  const row = await prepared(db, 'credit-etl.access-log.head', k('access_log_head').select('seq', 'hash', 'key_id').first());
  return row ? { seq: Number(row.seq), hash: row.hash, keyId: row.key_id } : undefined;
}

/** Appends after a head by APPEND_AFTER_SQL; undefined when the head was no longer that entry. */
async function appendAfter(db: Db, head: Head, entries: readonly AccessEntryInput[], key: AuditKey) {
  const c = chainAfter(head, entries, key);
  const r = await prepared(db, 'credit-etl.access-log.append-after',
    db.knex.raw(APPEND_AFTER_SQL, [c.head.seq, c.head.hash, c.head.keyId, head.seq, head.hash, APPEND_LOCK, c.rows]));
  return r.rowCount === c.appended.length ? c : undefined;
}

/**
 * Appends a group, serialised across processes by the advisory lock, in one statement after the head
 * (APPEND_AFTER_SQL): a group waits for one round trip and one flush, where a transaction took five.
 * The head is the one this process wrote last; when it does not know one, or another process moved
 * it, the head is read first, without the lock, and tried once more. A log without a head row yet,
 * or a head that moved again, takes a transaction under the lock that reads the head there.
 */
async function appendGroup(db: Db, q: AppendQueue, entries: readonly AccessEntryInput[]): Promise<AccessEntry[]> {
  const key = db.audit.current;
  const known = q.head;
  q.head = undefined; // known again only once the outcome is
  let done = known && await appendAfter(db, known, entries, key);
  if (!done) {
    const now = await headNow(db, db.knex);
    if (now) done = await appendAfter(db, now, entries, key);
  }
  done ??= await db.knex.transaction(async (trx) => {
    await prepared(db, 'credit-etl.access-log.lock', trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [APPEND_LOCK]));
    const chained = chainAfter(await headNow(db, trx), entries, key);
    await prepared(db, 'credit-etl.access-log.append', trx.raw(APPEND_SQL, [chained.rows, chained.head.seq, chained.head.hash, chained.head.keyId]));
    return chained;
  });
  q.head = done.head;
  return done.entries;
}

const COLUMNS = ['seq', 'request_id', 'actor_role', 'actor_unit', 'actor_token_id', 'action', 'enterprises', 'detail', 'prev_hash', 'hash', 'key_id'];

function toEntry(r: any): AccessEntry {
  return {
    seq: Number(r.seq), at: r.at, requestId: r.request_id, actor: { role: r.actor_role, unit: r.actor_unit, tokenId: r.actor_token_id },
    action: r.action, enterprises: r.enterprises, detail: r.detail, prevHash: r.prev_hash, hash: r.hash, keyId: r.key_id,
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

export type ChainProblemKind = 'content' | 'link' | 'gap' | 'head' | 'key' | 'unkeyed' | 'checkpoint';
export interface ChainProblem {
  readonly seq: number;
  readonly kind: ChainProblemKind;
  readonly messageZh: string;
  readonly messageEn: string;
}

/** What a verified checkpoint vouches for: the chain had entry `seq`, with this hash, at `at`. */
export interface ChainCheckpoint {
  readonly seq: number;
  readonly hash: string;
  readonly at: string;
}

export interface ChainReport {
  readonly ok: boolean;
  readonly entries: number;
  readonly problems: readonly ChainProblem[];
  /** The checkpoint the chain was checked against; null: none was given, so a cut-off end goes unseen. */
  readonly checkpoint: ChainCheckpoint | null;
}

const problem = (seq: number, kind: ChainProblemKind, messageZh: string, messageEn: string): ChainProblem => ({ seq, kind, messageZh, messageEn });

/**
 * Walks the whole chain: each entry's HMAC under the key it names, its link to the one before, gaps
 * in seq, changes of key outside a rotation entry, and the head; then the checkpoint, which must name
 * an entry still in the chain with the same hash. Keys come from the store's keyring (`keys` to
 * verify with others). Unkeyed entries (written before the chain was keyed) are vouched for only by a
 * keyed entry after them, whose HMAC covers their hashes.
 */
export async function verifyAccessLog(db: Db, opts: { checkpoint?: ChainCheckpoint | null; keys?: AuditKeyring } = {}): Promise<ChainReport> {
  const keys = opts.keys ?? db.audit;
  const cp = opts.checkpoint ?? null;
  const problems: ChainProblem[] = [];
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let prevKeyId: string | null | undefined;
  let entries = 0;
  let lastUnkeyed = 0;
  let lastKeyed = 0;
  let hashAtCheckpoint: string | undefined;
  for await (const e of accessEntries(db)) {
    entries++;
    if (e.seq !== expectedSeq) {
      problems.push(problem(e.seq, 'gap', `第 ${expectedSeq}–${e.seq - 1} 条记录缺失（被删除）`, `entries ${expectedSeq}-${e.seq - 1} are missing (deleted)`));
    }
    if (e.prevHash !== prevHash) {
      problems.push(problem(e.seq, 'link', `第 ${e.seq} 条记录与前一条记录的哈希不衔接`, `entry ${e.seq} does not link to the entry before it`));
    }
    const key = e.keyId === null ? null : keys.byId.get(e.keyId);
    if (key === undefined) {
      problems.push(problem(e.seq, 'key', `第 ${e.seq} 条记录的签名密钥 ${e.keyId} 未配置，无法校验（请在 CREDIT_ETL_AUDIT_OLD_KEYS 中提供）`,
        `entry ${e.seq} is signed with key ${e.keyId}, which is not configured (give it in CREDIT_ETL_AUDIT_OLD_KEYS)`));
    } else if (entryHash(e.prevHash, e.seq, e, key) !== e.hash) {
      problems.push(problem(e.seq, 'content', `第 ${e.seq} 条记录内容与其哈希不符（被修改）`, `entry ${e.seq} does not match its hash (edited)`));
    }
    if (e.keyId === null) {
      if (lastKeyed) {
        problems.push(problem(e.seq, 'key', `第 ${e.seq} 条记录没有密钥签名，却在已签名的记录之后（被无密钥地重算）`,
          `entry ${e.seq} is unkeyed after keyed entries (re-chained by someone without the key)`));
      }
      lastUnkeyed = e.seq;
    } else {
      const rotated = e.action === KEY_ROTATION_ACTION && e.detail.to === e.keyId && (e.detail.from ?? null) === (prevKeyId ?? null);
      if (prevKeyId !== undefined && e.keyId !== prevKeyId && !rotated) {
        problems.push(problem(e.seq, 'key', `第 ${e.seq} 条记录更换了签名密钥，但没有密钥轮换记录`, `entry ${e.seq} changes the signing key without a rotation entry`));
      }
      lastKeyed = e.seq;
    }
    if (cp && e.seq === cp.seq) hashAtCheckpoint = e.hash;
    prevHash = e.hash;
    prevKeyId = e.keyId;
    expectedSeq = e.seq + 1;
  }
  if (lastUnkeyed > lastKeyed) {
    problems.push(problem(lastUnkeyed, 'unkeyed', `第 ${lastUnkeyed} 条及之前的记录没有密钥签名，其后也没有已签名的记录为其担保`,
      `entries up to ${lastUnkeyed} are unkeyed and no keyed entry after them vouches for them`));
  }
  const head = await db.knex('access_log_head').select('seq', 'hash').first();
  const lastSeq = expectedSeq - 1;
  if ((head ? Number(head.seq) : 0) !== lastSeq || (head ? head.hash : GENESIS_HASH) !== prevHash) {
    problems.push(problem(head ? Number(head.seq) : 0, 'head',
      `日志末尾与记录的最后一条（第 ${head ? head.seq : 0} 条）不符（末尾记录被删除或修改）`,
      `the log does not end at its recorded last entry ${head ? head.seq : 0} (entries cut off or edited at the end)`));
  }
  if (cp && cp.seq > 0 && hashAtCheckpoint === undefined) {
    problems.push(problem(cp.seq, 'checkpoint', `检查点（${cp.at}）记载日志已有 ${cp.seq} 条，现在只有 ${lastSeq} 条：末尾记录被删除`,
      `the checkpoint of ${cp.at} saw ${cp.seq} entries; the log now ends at ${lastSeq}: entries were cut off`));
  } else if (cp && cp.seq > 0 && hashAtCheckpoint !== cp.hash) {
    problems.push(problem(cp.seq, 'checkpoint', `第 ${cp.seq} 条记录的哈希与检查点（${cp.at}）不符：日志被改写或重算`,
      `entry ${cp.seq} no longer has the hash the checkpoint of ${cp.at} recorded: the log was rewritten or re-chained`));
  }
  return { ok: problems.length === 0, entries, problems, checkpoint: cp ? { seq: cp.seq, hash: cp.hash, at: cp.at } : null };
}

/** The chain's last entry as the head records it (what a checkpoint vouches for). */
export async function accessLogHead(db: Db): Promise<{ seq: number; hash: string }> {
  const head = await db.knex('access_log_head').select('seq', 'hash').first();
  return head ? { seq: Number(head.seq), hash: head.hash } : { seq: 0, hash: GENESIS_HASH };
}

/** The entry of an issued report, by its number (report.issue entries carry it in detail.reportNo). */
export async function reportEntry(db: Db, reportNo: string): Promise<AccessEntry | undefined> {
  const r = await db.knex('access_log').select([...COLUMNS, db.knex.raw(utcIso('at'))])
    .where('action', 'report.issue').andWhereRaw(`detail->>'reportNo' = ?`, [reportNo]).first();
  return r ? toEntry(r) : undefined;
}
