import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDb, TEST_AUDIT_KEY, type TestDb } from '../test/helpers/pg.ts';
import { openDb } from './db.ts';
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

it('appends with one statement after the head, reading it first when another process moved it', async () => {
  const other = await openDb({ databaseUrl: t.url, dataDir: '', auditKeys: { key: TEST_AUDIT_KEY } });
  try {
    const sent: string[] = [];
    const record = (q: { sql: string }) => sent.push(q.sql.trim().split(/\s+/).slice(0, 3).join(' '));
    t.db.knex.on('query', record);
    const first = await appendAccess(t.db, entry(200));
    sent.length = 0;
    const second = await appendAccess(t.db, entry(201));
    // no BEGIN, lock, head read or COMMIT: the head is the one this process wrote
    expect(sent).toEqual(['WITH moved AS']);
    expect(second.prevHash).toBe(first.hash);

    // another process, which knows no head yet: it reads the head, then appends after it
    const elsewhereSent: string[] = [];
    const recordElsewhere = (q: { sql: string }) => elsewhereSent.push(q.sql.trim().split(/\s+/).slice(0, 3).join(' '));
    other.knex.on('query', recordElsewhere);
    const elsewhere = await appendAccess(other, entry(202));
    other.knex.off('query', recordElsewhere);
    expect(elsewhereSent).toEqual(['select "seq", "hash",', 'WITH moved AS']);
    expect(elsewhere.prevHash).toBe(second.hash);
    sent.length = 0;
    const after = await appendAccess(t.db, entry(203));
    // the statement finds the head moved: the head is read again and the group appended after it
    expect(sent).toEqual(['WITH moved AS', 'select "seq", "hash",', 'WITH moved AS']);
    expect([after.seq, after.prevHash]).toEqual([elsewhere.seq + 1, elsewhere.hash]);
    t.db.knex.off('query', record);

    // two processes appending at once, groups interleaving: one chain, no seq twice, nothing lost
    const storm = await Promise.all(Array.from({ length: 80 }, (_, i) => appendAccess(i % 2 ? other : t.db, entry(300 + i))));
    expect(new Set(storm.map((a) => a.seq)).size).toBe(80);
    const report = await verifyAccessLog(t.db);
    expect(report).toMatchObject({ ok: true, problems: [] });
    const stored = new Map<number, string | null>();
    for await (const e of accessEntries(t.db)) stored.set(e.seq, e.requestId);
    for (const a of storm) expect(stored.get(a.seq)).toBe(a.requestId);
  } finally {
    await other.close();
  }
});

it('appends the first entry of an empty log in a transaction under the lock', async () => {
  const empty = await createTestDb('access_log_first');
  try {
    const sent: string[] = [];
    empty.db.knex.on('query', (q: { sql: string }) => sent.push(q.sql.trim().split(/\s+/).slice(0, 3).join(' ')));
    const first = await appendAccess(empty.db, entry(1));
    expect(sent).toEqual(['select "seq", "hash",', 'BEGIN;', 'SELECT pg_advisory_xact_lock(hashtext($1))', 'select "seq", "hash",', 'WITH appended AS', 'COMMIT;']);
    expect([first.seq, first.prevHash]).toEqual([1, '0'.repeat(64)]);
    expect(await verifyAccessLog(empty.db)).toMatchObject({ ok: true, entries: 1 });
  } finally {
    await empty.drop();
  }
});
