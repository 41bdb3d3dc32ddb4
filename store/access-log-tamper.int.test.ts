// What someone who can rewrite the database (switch the append-only trigger off, edit rows, move the
// head) can do to the access log, and what catches it: the keyed chain (an edit, a re-chain with the
// published hash function) and the signed checkpoint outside the database (a cut-off end).
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { accessEntries, appendAccess, entryHash, GENESIS_HASH, KEY_ROTATION_ACTION, verifyAccessLog, type AccessEntry } from './access-log.ts';
import { latestCheckpoint, writeCheckpoint } from './audit-checkpoint.ts';
import { auditKey, keyring } from './audit-keys.ts';
import type { Db } from './db.ts';

let t: TestDb;
let dir: string;
beforeAll(async () => {
  t = await createTestDb('access_log_tamper');
});
afterAll(async () => {
  await t?.drop();
});
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-checkpoints-'));
  await tamper('TRUNCATE access_log, access_log_head');
  return () => rmSync(dir, { recursive: true, force: true });
});

const actor = { role: 'analyst', unit: '临沂某银行', tokenId: null };
const append = (db: Db, n: number) => appendAccess(db, {
  at: `2026-01-0${n}T00:00:00.000Z`, requestId: `req-${n}`, actor, action: 'enterprise.read', enterprises: ['91371300328348377N'],
  detail: { returned: ['licensing'], masked: { licensing: ['legal_rep_id_number'] }, n },
});
const appendFive = async () => {
  for (const n of [1, 2, 3, 4, 5]) await append(t.db, n);
};
/** What someone able to switch triggers off could do to the tables. */
const tamper = (sql: string, bindings: readonly unknown[] = []) => t.db.knex.transaction(async (trx) => {
  await trx.raw("SET LOCAL session_replication_role = 'replica'");
  await trx.raw(sql, bindings as never);
});
const entries = async () => {
  const out: AccessEntry[] = [];
  for await (const e of accessEntries(t.db)) out.push(e);
  return out;
};
const kinds = (r: { problems: readonly { kind: string }[] }) => [...new Set(r.problems.map((p) => p.kind))].sort();

it('detects a cut-off end, with the head moved back, only against a checkpoint', async () => {
  await appendFive();
  await writeCheckpoint(t.db, { dir });
  await tamper('DELETE FROM access_log WHERE seq > 3');
  const [third] = (await entries()).slice(2);
  await tamper('UPDATE access_log_head SET seq = 3, hash = ?', [third.hash]);

  // The chain alone is consistent: this is the hole the checkpoint closes.
  expect((await verifyAccessLog(t.db)).ok).toBe(true);
  const checked = await verifyAccessLog(t.db, { checkpoint: latestCheckpoint(dir, t.db.audit) });
  expect(checked.ok).toBe(false);
  expect(checked.problems).toEqual([expect.objectContaining({ seq: 5, kind: 'checkpoint' })]);
  // And the next periodic checkpoint refuses to vouch for the shortened log.
  await expect(writeCheckpoint(t.db, { dir })).rejects.toThrow(/cut or rewritten/);
});

it('detects an entry re-chained with the published (unkeyed) hash function, with or without a checkpoint', async () => {
  await appendFive();
  await writeCheckpoint(t.db, { dir });
  // The insider edits entry 2 and recomputes every hash after it with entryHash, as the code is public,
  // but without the key: as unkeyed entries, and as entries claiming the key's id.
  for (const claimKey of [false, true]) {
    let prev = GENESIS_HASH;
    for (const e of await entries()) {
      const edited = e.seq === 2 ? { ...e, detail: { ...e.detail, returned: [] } } : e;
      const hash = claimKey ? createHash('sha256').update(`${prev}\n${JSON.stringify(edited)}`).digest('hex') : entryHash(prev, e.seq, edited, null);
      await tamper('UPDATE access_log SET detail = ?, prev_hash = ?, hash = ?, key_id = ? WHERE seq = ?',
        [JSON.stringify(edited.detail), prev, hash, claimKey ? t.db.audit.current.id : null, e.seq]);
      prev = hash;
    }
    await tamper('UPDATE access_log_head SET hash = ?, key_id = ?', [prev, claimKey ? t.db.audit.current.id : null]);
    const bare = await verifyAccessLog(t.db);
    expect(bare.ok).toBe(false);
    expect(kinds(bare)).toEqual(claimKey ? ['content'] : ['unkeyed']);
    const checked = await verifyAccessLog(t.db, { checkpoint: latestCheckpoint(dir, t.db.audit) });
    expect(kinds(checked)).toContain('checkpoint');
  }
});

it('detects an edited entry by its HMAC', async () => {
  await appendFive();
  await tamper(`UPDATE access_log SET detail = jsonb_set(detail, '{returned}', '[]') WHERE seq = 4`);
  const r = await verifyAccessLog(t.db, { checkpoint: (await writeCheckpoint(t.db, { dir })).checkpoint });
  expect(r.problems.map((p) => [p.seq, p.kind])).toEqual([[4, 'content']]);
});

it('records a key rotation in the chain, verifies across it with the old key configured, and refuses a silent key change', async () => {
  await append(t.db, 1);
  const oldKey = t.db.audit.current;
  const newKey = auditKey(Buffer.alloc(32, 7));
  const rotated: Db = { ...t.db, audit: keyring(newKey, [oldKey]) };
  await append(rotated, 2);
  const log = await entries();
  expect(log.map((e) => [e.action, e.keyId])).toEqual([['enterprise.read', oldKey.id], [KEY_ROTATION_ACTION, newKey.id], ['enterprise.read', newKey.id]]);
  expect(log[1].detail).toEqual({ from: oldKey.id, to: newKey.id });
  expect((await verifyAccessLog(rotated)).ok).toBe(true);
  // Without the old key its entries cannot be vouched for.
  expect(kinds(await verifyAccessLog(t.db, { keys: keyring(newKey) }))).toEqual(['key']);
  // A rotation entry removed: the key changes with nothing in the chain to say so.
  await tamper('DELETE FROM access_log WHERE seq = 2');
  expect(kinds(await verifyAccessLog(rotated))).toEqual(['gap', 'key', 'link']);
});

it('refuses a forged or edited checkpoint', async () => {
  await appendFive();
  await writeCheckpoint(t.db, { dir });
  const file = path.join(dir, 'latest.json');
  const cp = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...cp, seq: 3 }));
  expect(() => latestCheckpoint(dir, t.db.audit)).toThrow(/signature/);
  writeFileSync(file, JSON.stringify({ ...cp, keyId: 'someone-elses' }));
  expect(() => latestCheckpoint(dir, t.db.audit)).toThrow(/not configured/);
});

it('also POSTs each new checkpoint to a webhook, signed, and reports a webhook that fails without losing the file', async () => {
  const received: unknown[] = [];
  let status = 204;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(status).end();
    });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const webhook = `http://127.0.0.1:${(server.address() as { port: number }).port}/audit`;
  try {
    await appendFive();
    const sent = await writeCheckpoint(t.db, { dir, webhook });
    expect(sent.webhookError).toBeUndefined();
    expect(received).toEqual([sent.checkpoint]);
    // What the receiver keeps verifies with the key, and vouches for the chain.
    expect(latestCheckpoint(dir, t.db.audit)).toEqual(sent.checkpoint);
    status = 500;
    await append(t.db, 6);
    const failed = await writeCheckpoint(t.db, { dir, webhook });
    expect(failed).toMatchObject({ written: true, webhookError: 'HTTP 500' });
    expect(latestCheckpoint(dir, t.db.audit)?.seq).toBe(6);
  } finally {
    server.close();
  }
});
