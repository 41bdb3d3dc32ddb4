// The stand-ins serve the same data for the same seed, in the providers' own terms, and the demo
// sources file turns it back into the schema's: every row of every demo source goes through the
// real pipeline into the real store without a single rejection.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSource } from '../../ingest/ingest-file.ts';
import { rowsSource } from '../../pipelines/run-batch.ts';
import { category, findProviderUnit } from '../../schemas/registry.ts';
import { createTestDb, type TestDb } from '../../test/helpers/pg.ts';
import { schemaKeys, toSchemaRecord } from '../../connectors/field-mapping.ts';
import type { SourceConfig } from '../../connectors/registry.ts';
import { API_IDS, APIS } from './apis.ts';
import { providerRecord } from './provider-server.ts';
import { demoSources, plainContext, readAll } from './run.ts';
import { startStandIns, type StandIns } from './stand-ins.ts';

let s: StandIns;
let t: TestDb;
beforeAll(async () => {
  [s, t] = await Promise.all([startStandIns(), createTestDb('standins')]);
});
afterAll(async () => {
  await s?.close();
  await t?.drop();
});

describe('stand-ins', () => {
  it('serve the same records for the same seed', async () => {
    const other = await startStandIns();
    try {
      for (const api of API_IDS) expect(other.control.api(api).records()).toEqual(s.control.api(api).records());
    } finally {
      await other.close();
    }
  });

  it('the demo field mappings turn every provider record back into the synthetic row', () => {
    const sources = demoSources(s);
    for (const api of API_IDS) {
      const source = sources.find((x) => x.category === api && x.kind.startsWith('http'))!;
      const numbers = new Set(APIS[api].numbers ?? []);
      for (const r of s.control.api(api).records()) {
        const mapped = toSchemaRecord(source, providerRecord(APIS[api], r));
        for (const key of Object.keys(APIS[api].names)) {
          const got = mapped[key];
          const want = r.canonical[key];
          // A JSON number drops an amount's trailing zeros ("0.50" -> 0.5); a JSON boolean stands for 是/否.
          if (numbers.has(key) && want !== '') expect(got, `${api} ${r.id} ${key}`).toBe(Number(want));
          else expect(got === null ? '' : got === true ? '是' : got === false ? '否' : got, `${api} ${r.id} ${key}`).toBe(want);
        }
      }
    }
  });

  it('answer late when told to (a slow provider), and still answer right', async () => {
    s.calls.clear();
    s.control.api('licensing').slow(50);
    const res = await fetch(`${s.urls.licensing}/api/v1/sgs/xzxk?page_size=2`, { headers: { authorization: `Bearer ${s.env.DEMO_CREDIT_PLATFORM_TOKEN}` } });
    expect(res.status).toBe(200);
    expect((await res.json()).data.records).toHaveLength(2);
  });

  it('record the calls they receive, with the enterprise a per-enterprise call is about', async () => {
    s.calls.clear();
    const [uscc] = s.enterprises('gas');
    await fetch(`${s.urls.gas}/gas/v2/customers/${uscc}/statements?limit=1`, { headers: { authorization: `Bearer ${s.env.DEMO_GAS_API_TOKEN}` } });
    await fetch(`${s.urls.gas}/gas/v2/customers/${uscc}/statements`);
    expect(s.calls.list('gas')).toEqual([
      expect.objectContaining({ api: 'gas', method: 'GET', uscc, query: { limit: '1' }, status: 200 }),
      expect.objectContaining({ uscc, status: 401 }),
    ]);
  });
});

describe('every demo source through the pipeline', () => {
  const everyone = (x: StandIns) => ({ ...plainContext(x.env), authorisedEnterprises: async (c: string) => x.enterprises(c as never) });

  async function load(source: SourceConfig) {
    const { rows } = await readAll(source, everyone(s));
    const keys = schemaKeys(source.category);
    async function* mapped() {
      for (const r of rows) yield toSchemaRecord(source, r);
    }
    return ingestSource(t.db, rowsSource(keys, mapped()), { category: category(source.category), deliverer: findProviderUnit(source.provider)!, name: source.id }, { log: pino({ level: 'silent' }) });
  }

  it('loads every row of every API and database source, none rejected', async () => {
    for (const source of demoSources(s).filter((x) => x.kind !== 'drop-folder')) {
      const report = await load(source);
      expect(report.issues, source.id).toEqual([]);
      expect(report, source.id).toMatchObject({ status: 'loaded', rejected: 0 });
      expect(report.read, source.id).toBeGreaterThan(20);
    }
  });
});
