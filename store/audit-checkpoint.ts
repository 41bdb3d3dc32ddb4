// Signed checkpoints of the access log, kept outside the database it audits: the chain's last seq,
// its hash and the time, signed with the audit key. Someone who can rewrite the database can cut
// entries off the end and move the head back, and the chain alone still looks whole; a checkpoint
// written before names an entry that is then missing or different. Checkpoints go to a folder (meant
// to be other storage than the database's, e.g. a mounted WORM share) and, optionally, to a webhook.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { accessLogHead, canonicalJson, type ChainCheckpoint } from './access-log.ts';
import type { AuditKey, AuditKeyring } from './audit-keys.ts';
import type { Db } from './db.ts';

export interface Checkpoint extends ChainCheckpoint {
  readonly keyId: string;
  /** HMAC-SHA256 under the key over the canonical JSON of seq, hash, at and keyId. */
  readonly signature: string;
}

export class CheckpointError extends Error {
  readonly code = 'E_AUDIT_CHECKPOINT';
}

const LATEST = 'latest.json';

const signatureOf = (c: ChainCheckpoint, key: AuditKey) =>
  createHmac('sha256', key.secret).update(canonicalJson({ seq: c.seq, hash: c.hash, at: c.at, keyId: key.id })).digest('hex');

export function signCheckpoint(c: ChainCheckpoint, key: AuditKey): Checkpoint {
  return { seq: c.seq, hash: c.hash, at: c.at, keyId: key.id, signature: signatureOf(c, key) };
}

/** The checkpoint, if its signature holds under a key of the ring; a CheckpointError otherwise. */
export function checkedCheckpoint(raw: unknown, keys: AuditKeyring): Checkpoint {
  const c = raw as Partial<Checkpoint>;
  if (typeof c?.seq !== 'number' || typeof c.hash !== 'string' || typeof c.at !== 'string' || typeof c.keyId !== 'string' || typeof c.signature !== 'string') {
    throw new CheckpointError('检查点格式无效 / the checkpoint is malformed');
  }
  const key = keys.byId.get(c.keyId);
  if (!key) throw new CheckpointError(`检查点的签名密钥 ${c.keyId} 未配置 / the checkpoint is signed with key ${c.keyId}, which is not configured`);
  const expected = Buffer.from(signatureOf(c as Checkpoint, key), 'hex');
  const given = Buffer.from(c.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new CheckpointError('检查点签名无效（检查点被伪造或修改）/ the checkpoint\'s signature does not hold (forged or edited)');
  }
  return c as Checkpoint;
}

/** The latest checkpoint in the folder, verified; null when none was written yet. */
export function latestCheckpoint(dir: string, keys: AuditKeyring): Checkpoint | null {
  let text: string;
  try {
    text = readFileSync(path.join(dir, LATEST), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return checkedCheckpoint(JSON.parse(text), keys);
}

export interface CheckpointOptions {
  readonly dir: string;
  readonly now?: Date;
  /** POSTed the checkpoint as JSON when set; a failure is returned, never thrown (the file is the record). */
  readonly webhook?: string;
}

/**
 * Signs the chain's head and writes it: one file per checkpoint (never overwritten) and latest.json.
 * Refuses, with the reason, when the log no longer holds what the previous checkpoint saw: the log
 * was cut or rewritten since, and a new checkpoint must not paper over it. A head unchanged since the
 * last checkpoint writes nothing.
 */
export async function writeCheckpoint(db: Db, o: CheckpointOptions): Promise<{ checkpoint: Checkpoint; written: boolean; webhookError?: string }> {
  const previous = latestCheckpoint(o.dir, db.audit);
  const head = await accessLogHead(db);
  if (previous && previous.seq > 0) {
    const row = await db.knex('access_log').select('hash').where('seq', previous.seq).first();
    if (!row || row.hash !== previous.hash || head.seq < previous.seq) {
      throw new CheckpointError(`访问日志已不含上一个检查点（${previous.at}，第 ${previous.seq} 条）所见的记录：日志被截断或改写，请运行 credit-etl audit verify`
        + ` / the access log no longer holds entry ${previous.seq} as the checkpoint of ${previous.at} saw it: cut or rewritten; run credit-etl audit verify`);
    }
    if (previous.seq === head.seq) return { checkpoint: previous, written: false };
  }
  const checkpoint = signCheckpoint({ seq: head.seq, hash: head.hash, at: (o.now ?? new Date()).toISOString() }, db.audit.current);
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const body = `${JSON.stringify(checkpoint)}\n`;
  writeFileSync(path.join(o.dir, `checkpoint-${String(checkpoint.seq).padStart(12, '0')}.json`), body, { mode: 0o600, flag: 'wx' });
  const tmp = path.join(o.dir, `.${LATEST}.${process.pid}`);
  writeFileSync(tmp, body, { mode: 0o600 });
  renameSync(tmp, path.join(o.dir, LATEST));
  if (!o.webhook) return { checkpoint, written: true };
  try {
    const res = await fetch(o.webhook, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
    return { checkpoint, written: true, ...(res.ok ? {} : { webhookError: `HTTP ${res.status}` }) };
  } catch (e) {
    return { checkpoint, written: true, webhookError: (e as Error).message };
  }
}

/**
 * Writes a checkpoint every `everyMs` while the service runs. A refusal (the log was cut or rewritten
 * since the last checkpoint) is logged as an error each time, so it is seen until someone acts.
 */
export function startCheckpoints(db: Db, o: CheckpointOptions & { everyMs: number; log: { info(o: object, m: string): void; error(o: object, m: string): void } }): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    writeCheckpoint(db, o).then((r) => {
      if (r.written) o.log.info({ seq: r.checkpoint.seq, at: r.checkpoint.at }, 'access log checkpoint written');
      if (r.webhookError) o.log.error({ err: r.webhookError, webhook: o.webhook }, 'access log checkpoint not delivered to the webhook');
    }, (err) => o.log.error({ err }, 'access log checkpoint refused')).finally(() => {
      running = false;
    });
  }, o.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
