// A serving process keeps token checks in memory (store/token-cache.ts). What must hold: a token
// revoked through any door stops working once its notification arrives; nothing is answered from
// memory while notifications cannot be heard; an answer outlives a lost notification by the TTL at
// most.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { createApiToken, revokeApiToken } from './api-tokens.ts';
import { LISTENER_NAME, tokenLookup, type TokenCacheOptions, type TokenLookup } from './token-cache.ts';

let t: TestDb;
const open: TokenLookup[] = [];
beforeAll(async () => {
  t = await createTestDb('tokencache');
});
afterAll(async () => {
  for (const c of open) await c.close();
  await t?.drop();
});

/** A cache of its own for each test; the earlier ones stop listening. */
const lookup = async (ttlMs = 60_000, opts: Omit<TokenCacheOptions, 'ttlMs'> = {}) => {
  for (const earlier of open.splice(0)) await earlier.close();
  const c = await tokenLookup(t.db, { ttlMs, ...opts });
  open.push(c);
  return c;
};
const provider = () => createApiToken(t.db, { role: 'provider', unit: '市发展改革委', createdBy: 'test' });
/** Revokes behind the cache's back: the trigger that announces changes is off for this statement. */
async function revokeUnheard(id: string) {
  await t.db.knex.transaction(async (tx) => {
    await tx.raw('ALTER TABLE api_tokens DISABLE TRIGGER api_tokens_changed');
    await tx('api_tokens').where({ id }).update({ revoked_at: tx.fn.now() });
    await tx.raw('ALTER TABLE api_tokens ENABLE TRIGGER api_tokens_changed');
  });
}
const listenerPid = async () => {
  const rows = (await t.db.knex.raw('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?', [LISTENER_NAME])).rows as { pid: number }[];
  return rows.map((r) => r.pid);
};

it('answers from memory, and a revocation through the API function or plain SQL ends the token once announced', async () => {
  const cache = await lookup();
  expect(cache.listening()).toBe(true);
  const a = await provider();
  const b = await provider();
  expect((await cache.find(a.token))?.id).toBe(a.record.id);
  expect((await cache.find(b.token))?.id).toBe(b.record.id);
  // kept: a change nobody hears is not seen (the trigger is what makes revocation reach the cache)
  await revokeUnheard(b.record.id);
  expect((await cache.find(b.token))?.id).toBe(b.record.id);

  await revokeApiToken(t.db, a.record.id);
  await vi.waitFor(async () => expect(await cache.find(a.token)).toBeUndefined(), { timeout: 2_000 });
  // every answer was forgotten, b's too: the store says it is revoked
  expect(await cache.find(b.token)).toBeUndefined();

  const c = await provider();
  expect((await cache.find(c.token))?.id).toBe(c.record.id);
  await t.db.knex.raw('UPDATE api_tokens SET revoked_at = now() WHERE id = ?', [c.record.id]);
  await vi.waitFor(async () => expect(await cache.find(c.token)).toBeUndefined(), { timeout: 2_000 });
});

it('keeps an answer no longer than its TTL when a notification is lost', async () => {
  const cache = await lookup(300);
  const a = await provider();
  expect((await cache.find(a.token))?.id).toBe(a.record.id);
  await revokeUnheard(a.record.id);
  expect((await cache.find(a.token))?.id).toBe(a.record.id);
  await new Promise((r) => setTimeout(r, 350));
  expect(await cache.find(a.token)).toBeUndefined();
});

it('looks every token up while its listening connection is down, and keeps answers again once it is back', async () => {
  const cache = await lookup();
  const a = await provider();
  const b = await provider();
  expect((await cache.find(a.token))?.id).toBe(a.record.id);
  const before = await listenerPid();
  expect(before).toHaveLength(1);
  await t.db.knex.raw('SELECT pg_terminate_backend(?)', [before[0]]);
  await vi.waitFor(() => expect(cache.listening()).toBe(false), { timeout: 2_000 });
  // not heard now: an answer given now is not kept
  expect((await cache.find(b.token))?.id).toBe(b.record.id);
  await revokeUnheard(b.record.id);
  expect(await cache.find(b.token)).toBeUndefined();
  // back within the first retry (1 s), keeping answers again
  await vi.waitFor(() => expect(cache.listening()).toBe(true), { timeout: 3_000 });
  expect(await listenerPid()).toHaveLength(1);
  const c = await provider();
  expect((await cache.find(c.token))?.id).toBe(c.record.id);
  await revokeUnheard(c.record.id);
  expect((await cache.find(c.token))?.id).toBe(c.record.id);
});

it('takes a listening connection that stops answering for lost, and listens again on a new one', async () => {
  // a connection that dies without a word sends no error and no notification: the heartbeat finds it
  const cache = await lookup(60_000, { heartbeatMs: 100, heartbeatTimeoutMs: 400 });
  const [pid] = await listenerPid();
  const a = await provider();
  expect((await cache.find(a.token))?.id).toBe(a.record.id);
  process.kill(pid, 'SIGSTOP');
  try {
    await vi.waitFor(() => expect(cache.listening()).toBe(false), { timeout: 3_000 });
    await revokeUnheard(a.record.id);
    expect(await cache.find(a.token)).toBeUndefined();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await vi.waitFor(async () => expect(cache.listening() && (await listenerPid())).toEqual([expect.any(Number)]), { timeout: 3_000 });
  expect((await listenerPid())[0]).not.toBe(pid);
});

it('keeps no answer for an unknown token, so a new one works at once', async () => {
  const cache = await lookup();
  expect(await cache.find('cetl_nobody')).toBeUndefined();
  expect(await cache.find('not a token')).toBeUndefined();
  const a = await provider();
  expect((await cache.find(a.token))?.id).toBe(a.record.id);
});

it('starts in a process that has nothing else under way', async () => {
  // the listening connection is not held against the process's exit, but LISTEN must be answered
  // first, and the connection must end when closed (either way the process exited with code 13)
  const script = `const { openDb } = await import(${JSON.stringify(fileURLToPath(new URL('./db.ts', import.meta.url)))});
    const { tokenLookup } = await import(${JSON.stringify(fileURLToPath(new URL('./token-cache.ts', import.meta.url)))});
    const db = await openDb({ databaseUrl: process.env.DATABASE_URL, dataDir: '' });
    const c = await tokenLookup(db);
    console.log(JSON.stringify({ listening: c.listening() }));
    await c.close();
    await db.close();`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, DATABASE_URL: t.url } });
  expect(JSON.parse(stdout)).toEqual({ listening: true });
});
