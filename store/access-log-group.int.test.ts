import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { accessEntries, appendAccess, verifyAccessLog, type AccessEntryInput } from './access-log.ts';

// Group commit: entries that arrive while a group is being committed go together in the next one.
let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('access_log_group');
});
afterAll(async () => {
  await t?.drop();
});

const entry = (n: number, tokenId: string | null = null): AccessEntryInput => ({
  at: '2026-01-01T00:00:00.000Z', requestId: `req-${n}`, actor: { role: 'analyst', unit: '临沂某银行', tokenId },
  action: 'enterprise.read', enterprises: ['91371300328348377N', `9137130032834837${n % 10}X`], detail: { n },
});

it('chains many concurrent appends in the order they were asked for, each resolved with its own entry', async () => {
  const appended = await Promise.all(Array.from({ length: 60 }, (_, i) => appendAccess(t.db, entry(i))));
  expect(appended.map((a) => a.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  expect(appended.map((a) => a.requestId)).toEqual(Array.from({ length: 60 }, (_, i) => `req-${i}`));
  const stored = [];
  for await (const e of accessEntries(t.db)) stored.push(e);
  expect(stored.map((e) => [e.seq, e.requestId, e.hash, e.enterprises])).toEqual(appended.map((a) => [a.seq, a.requestId, a.hash, a.enterprises]));
  expect(await verifyAccessLog(t.db)).toEqual({ ok: true, entries: 60, problems: [], checkpoint: null });
});

it('fails only the caller whose entry cannot be stored, and the others still chain', async () => {
  const results = await Promise.allSettled([entry(100), entry(101), entry(102, 'not-a-uuid'), entry(103)].map((e) => appendAccess(t.db, e)));
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  expect(await verifyAccessLog(t.db)).toEqual({ ok: true, entries: 63, problems: [], checkpoint: null });
});
