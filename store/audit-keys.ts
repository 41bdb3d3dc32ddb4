// The keys of the access log's chain. They live outside the database the log is in, so someone who
// can rewrite the database (a DBA, a stolen superuser login) cannot recompute the chain after an
// edit: every entry is an HMAC under a key the database never sees. The current key signs new
// entries; older keys are kept only to verify the entries they signed (rotation, see access-log.ts).
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface AuditKey {
  /** Derived from the key itself, so an id can never name the wrong key. */
  readonly id: string;
  readonly secret: Buffer;
}

export interface AuditKeyring {
  readonly current: AuditKey;
  /** Every key the verifier knows, current included, by id. */
  readonly byId: ReadonlyMap<string, AuditKey>;
}

/** Where the keys come from: configuration (a secret store), or else a key file in the data folder. */
export interface AuditKeySource {
  /** CREDIT_ETL_AUDIT_KEY: the current key, hex or base64, at least 32 bytes. */
  readonly key?: string;
  /** CREDIT_ETL_AUDIT_OLD_KEYS: earlier keys, comma-separated, kept to verify what they signed. */
  readonly oldKeys?: readonly string[];
  /** Used when no key is configured: created once (mode 0600) and reused. */
  readonly keyFile?: string;
}

export const MIN_KEY_BYTES = 32;

export function auditKey(secret: Buffer): AuditKey {
  return { id: createHash('sha256').update('credit-etl audit key id\n').update(secret).digest('hex').slice(0, 16), secret };
}

/** A key as configured: 64+ hex digits, or base64 of 32+ bytes. Throws with the reason otherwise. */
export function parseAuditKey(text: string): AuditKey {
  const s = text.trim();
  const secret = /^[0-9a-f]+$/i.test(s) && s.length % 2 === 0 ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64');
  if (secret.length < MIN_KEY_BYTES) throw new Error(`an audit key must hold at least ${MIN_KEY_BYTES} random bytes (hex or base64)`);
  return auditKey(secret);
}

export function keyring(current: AuditKey, old: readonly AuditKey[] = []): AuditKeyring {
  return { current, byId: new Map([...old, current].map((k) => [k.id, k])) };
}

function keyFromFile(file: string): AuditKey {
  try {
    return parseAuditKey(readFileSync(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(MIN_KEY_BYTES).toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  chmodSync(file, 0o600);
  return parseAuditKey(readFileSync(file, 'utf8'));
}

export function loadAuditKeyring(src: AuditKeySource): AuditKeyring {
  const old = (src.oldKeys ?? []).filter((k) => k.trim()).map(parseAuditKey);
  if (src.key) return keyring(parseAuditKey(src.key), old);
  if (src.keyFile) return keyring(keyFromFile(src.keyFile), old);
  // Only code that opens a store without configuration (benchmarks, ad-hoc scripts) gets here: its
  // entries can be verified by this process alone.
  return keyring(auditKey(randomBytes(MIN_KEY_BYTES)), old);
}
