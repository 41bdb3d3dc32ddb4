// The per-enterprise connector against the stand-in providers and the real authorisation registry
// in the store: only enterprises with a grant in force are ever called (asserted on the calls the
// stand-ins recorded), a revoke stops the calls, each enterprise reads only its own delta, and a
// crash resumes without fetching finished enterprises again.
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/helpers/pg.ts';
import { authorisedEnterprises, grantAuthorisation, listAuthorisations, revokeAuthorisation } from '../../store/authorisations.ts';
import { connectorContext } from '../../jobs/connector-context.ts';
import { connectorConformance } from '../../testkit/stand-ins/conformance.ts';
import { demoSource, readAll } from '../../testkit/stand-ins/run.ts';
import { seedAuthorisations, type SeededAuthorisations } from '../../testkit/stand-ins/seed-authorisations.ts';
import { startStandIns, type StandIns } from '../../testkit/stand-ins/stand-ins.ts';
import { PER_ENTERPRISE, type ApiId } from '../../testkit/stand-ins/apis.ts';
import { httpEnterprise, type HttpEnterpriseConfig } from './index.ts';

const FAST = { timeoutMs: 1000, retries: 2, baseDelayMs: 5, maxDelayMs: 20, requestsPerSecond: 1000 };
const SOURCE: Readonly<Record<string, string>> = { water: 'water-utility-api', gas: 'gas-utility-api', rnd: 'rnd-science-api', agri: 'agri-agriculture-api' };
const log = pino({ level: 'silent' });

let t: TestDb;
let seeded: SeededAuthorisations;
beforeAll(async () => {
  t = await createTestDb('conn_ent');
  const s = await startStandIns();
  seeded = await seedAuthorisations(t.db, s);
  await s.close();
});
afterAll(() => t?.drop());

const cfg = (s: StandIns, api: ApiId, over: Partial<HttpEnterpriseConfig> = {}) =>
  demoSource<HttpEnterpriseConfig>(s, SOURCE[api], { http: FAST, checkpointEvery: 3, ...over });
const ctxOf = (s: StandIns) => connectorContext({ db: t.db, log, env: s.env });
const idField = (api: ApiId) => ({ water: 'billId', gas: 'statement_id', rnd: 'xh', agri: 'id' } as Record<string, string>)[api];
const inForceRows = (s: StandIns, api: ApiId) => s.control.api(api).records().filter((r) => seeded.inForce[api].includes(r.canonical.subject_uscc));

for (const api of PER_ENTERPRISE) {
  describe(`conformance: ${SOURCE[api]}`, () => {
    connectorConformance<HttpEnterpriseConfig>({
      connector: httpEnterprise,
      rowKey: (r) => String(r[idField(api)]),
      async open() {
        const s = await startStandIns();
        return { cfg: cfg(s, api), ctx: ctxOf(s), expected: inForceRows(s, api).length, close: s.close };
      },
    });
  });
}

describe('http-enterprise under authorisation', () => {
  let s: StandIns;
  beforeAll(async () => {
    s = await startStandIns();
  });
  afterAll(() => s?.close());
  beforeEach(() => s.calls.clear());

  it('the seeded registry has grants in force, none, expired and revoked ones', async () => {
    expect(seeded.notInForce.water.length).toBeGreaterThan(5);
    const all = await listAuthorisations(t.db);
    expect(all.some((a) => a.revoked_at !== null)).toBe(true);
    expect(all.some((a) => a.expires_at < new Date().toISOString())).toBe(true);
    expect(await authorisedEnterprises(t.db, 'water', new Date().toISOString())).toEqual([...seeded.inForce.water].sort());
  });

  for (const api of PER_ENTERPRISE) {
    it(`${api}: calls the provider only for enterprises with an authorisation in force, and reads all their records`, async () => {
      const { rows } = await readAll(cfg(s, api), ctxOf(s));
      const called = new Set(s.calls.list(api).map((c) => c.uscc));
      expect([...called].sort()).toEqual([...seeded.inForce[api]].sort());
      for (const uscc of seeded.notInForce[api]) expect(called.has(uscc), uscc).toBe(false);
      expect(rows.length).toBe(inForceRows(s, api).length);
    });
  }

  it('after a revoke, the enterprise is not called again', async () => {
    const db = await createTestDb('conn_revoke');
    try {
      await seedAuthorisations(db.db, s);
      const ctx = connectorContext({ db: db.db, log, env: s.env });
      const first = await readAll(cfg(s, 'gas'), ctx);
      const [victim] = seeded.inForce.gas;
      expect(s.calls.list('gas').some((c) => c.uscc === victim)).toBe(true);
      for (const a of await listAuthorisations(db.db, victim)) await revokeAuthorisation(db.db, a.id, new Date().toISOString());
      s.calls.clear();
      s.control.api('gas').add(seeded.inForce.gas.length + seeded.notInForce.gas.length);
      const second = await readAll(cfg(s, 'gas'), ctx, first.cursor);
      const called = s.calls.list('gas').map((c) => c.uscc);
      expect(called).not.toContain(victim);
      expect(called.length).toBe(seeded.inForce.gas.length - 1);
      expect(second.rows.map((r) => r.social_credit_code)).not.toContain(victim);
    } finally {
      await db.drop();
    }
  });

  it('a grant revoked while a run is under way stops the calls from the next checkpoint on', async () => {
    const db = await createTestDb('conn_midrun');
    try {
      await seedAuthorisations(db.db, s);
      const ctx = connectorContext({ db: db.db, log, env: s.env });
      const order = [...seeded.inForce.rnd].sort();
      const last = order.at(-1)!;
      for await (const m of httpEnterprise.read(cfg(s, 'rnd', { checkpointEvery: 1 }), ctx, undefined)) {
        if (m.kind === 'rows' && m.rows.some((r) => r.tyshxydm === order[0])) {
          for (const a of await listAuthorisations(db.db, last)) await revokeAuthorisation(db.db, a.id, new Date().toISOString());
        }
      }
      expect(s.calls.list('rnd').map((c) => c.uscc)).not.toContain(last);
    } finally {
      await db.drop();
    }
  });

  it('the next run reads exactly each enterprise\'s new and changed records, ties on the watermark included', async () => {
    const ctx = ctxOf(s);
    const first = await readAll(cfg(s, 'water'), ctx);
    const added = s.control.api('water').add(4);
    const tied = s.control.api('water').add(2, { atLatest: true });
    const changed = s.control.api('water').modify(3);
    const second = await readAll(cfg(s, 'water'), ctx, first.cursor);
    const expected = [...added, ...tied, ...changed].filter((r) => seeded.inForce.water.includes(r.canonical.subject_uscc)).map((r) => r.id);
    expect(second.rows.map((r) => String(r.billId)).sort()).toEqual([...new Set(expected)].sort());
    expect((await readAll(cfg(s, 'water'), ctx, second.cursor)).rows).toEqual([]);
  });

  it('an enterprise the provider has no account for (404) is no records, not an error', async () => {
    const db = await createTestDb('conn_404');
    try {
      const stranger = '91371302MA3C5T0B5C';
      await grantAuthorisation(db.db, {
        enterpriseUscc: stranger, categories: ['water'], institution: null, grantedAt: '2025-01-01T00:00:00Z', expiresAt: '2099-01-01T00:00:00Z', evidenceKind: '线上', recordedBy: 'test',
      });
      const { rows } = await readAll(cfg(s, 'water'), connectorContext({ db: db.db, log, env: s.env }));
      expect(rows).toEqual([]);
      expect(s.calls.list('water').map((c) => [c.uscc, c.status])).toEqual([[stranger, 404]]);
    } finally {
      await db.drop();
    }
  });

  it('one 400 among ten enterprises: recorded against that enterprise, the other nine collected, the read goes on', async () => {
    const db = await createTestDb('conn_skip');
    try {
      const ten = [...s.enterprises('water')].slice(0, 10).sort();
      for (const uscc of ten) {
        await grantAuthorisation(db.db, {
          enterpriseUscc: uscc, categories: ['water'], institution: null, grantedAt: '2025-01-01T00:00:00Z', expiresAt: '2099-01-01T00:00:00Z', evidenceKind: '线上', recordedBy: 'test',
        });
      }
      const skipped: [string, string][] = [];
      const ctx = { ...connectorContext({ db: db.db, log, env: s.env }), skipped: (key: string, e: { code: string }) => void skipped.push([key, e.code]) };
      s.control.api('water').fail(400, 1);
      const { rows, cursor } = await readAll(cfg(s, 'water'), ctx);
      expect(skipped).toEqual([[ten[0], 'E_PROVIDER_REJECTED']]);
      expect(s.calls.list('water').map((c) => c.uscc).filter((u, i, a) => a.indexOf(u) === i)).toEqual(ten);
      const nine = s.control.api('water').records().filter((r) => ten.slice(1).includes(r.canonical.subject_uscc));
      expect(nine.length).toBeGreaterThan(0);
      expect(rows.map((r) => String(r.billId)).sort()).toEqual(nine.map((r) => r.id).sort());
      // The refused enterprise has no watermark: the next run asks for all of its records.
      expect(Object.keys((cursor as { watermarks: Record<string, unknown> }).watermarks).sort()).toEqual(ten.slice(1).filter((u) => nine.some((r) => r.canonical.subject_uscc === u)));
    } finally {
      await db.drop();
    }
  });

  it('refusals above the allowed share fail the read with the typed error, naming the enterprises', async () => {
    s.control.api('agri').fail(400, 50);
    await expect(readAll(cfg(s, 'agri'), ctxOf(s))).rejects.toMatchObject({ code: 'E_PROVIDER_REJECTED', retryable: false, details: { refused: expect.any(Array) } });
    s.control.api('agri').reset();
  });
});
