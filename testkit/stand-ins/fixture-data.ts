// What the stand-in providers hold, from testkit/synthetic.ts over the fixture enterprises (so the demo
// enterprise 91371326765330802K appears everywhere). One SyntheticSource per category is shared by
// all providers of that category, so document and account numbers never collide between them.
import { fixturePool } from '../generate-fixtures.ts';
import { createRng, eligible, SyntheticSource, type Enterprise, type SyntheticRecord } from '../synthetic.ts';
import type { CategoryId } from '../../schemas/registry.ts';
import { PER_ENTERPRISE, type ApiId } from './apis.ts';

/** Initial decisions served by the bulk APIs and by the source database / drop folder. */
const BULK_ROWS: Readonly<Record<'licensing' | 'penalty' | 'enforcement', number>> = { licensing: 45, penalty: 45, enforcement: 30 };
export const SOURCE_DB_ROWS = 25;
export const DROP_FILE_ROWS = 12;
const STAND_IN_SERIALS = 500_000;

export class FixtureData {
  readonly pool: readonly Enterprise[] = fixturePool();
  private readonly sources = new Map<CategoryId, SyntheticSource>();

  constructor(private readonly seed: string) {}

  private source(id: CategoryId): SyntheticSource {
    let s = this.sources.get(id);
    if (!s) {
      // Serials from STAND_IN_SERIALS on: the stand-ins' account, certificate and item numbers never meet
      // the fixture files' (which count from 1), so the demo loads the two without one overwriting the other.
      s = new SyntheticSource(createRng(this.seed).fork(`stand-in:${id}`), { pool: this.pool, from: '2022-01-01', to: '2025-06-30', seq: STAND_IN_SERIALS });
      this.sources.set(id, s);
    }
    return s;
  }

  /** Enterprises a per-enterprise provider has accounts or entries for, in pool order. */
  customers(api: ApiId): readonly Enterprise[] {
    return this.pool.filter((e) => eligible(api, e));
  }

  /** `n` decisions (licensing, penalty, enforcement): one row each. */
  decisions(id: 'licensing' | 'penalty' | 'enforcement', n: number): SyntheticRecord[] {
    const rows: SyntheticRecord[] = [];
    while (rows.length < n) rows.push(...this.source(id).group(id));
    return rows.slice(0, n);
  }

  initial(api: ApiId): SyntheticRecord[] {
    if (!PER_ENTERPRISE.includes(api)) return this.decisions(api as keyof typeof BULK_ROWS, BULK_ROWS[api as keyof typeof BULK_ROWS]);
    return this.customers(api).flatMap((e) => this.source(api).group(api, e));
  }

  /** `n` new rows: new decisions, or one new item (a new meter's month, a new support item or right) for each of the first `n` customers. */
  more(api: ApiId, n: number): SyntheticRecord[] {
    if (!PER_ENTERPRISE.includes(api)) return this.decisions(api as keyof typeof BULK_ROWS, n);
    return this.customers(api).slice(0, n).map((e) => this.source(api).group(api, e, { min: 1, max: 1 })[0]);
  }
}

const plusOne = (s: string, decimals: number) => String(Math.round((Number(s) + 1) * 10 ** decimals) / 10 ** decimals);

/** A plausible correction a provider makes to a record, or undefined where it does not apply. */
export function correction(api: ApiId): (r: SyntheticRecord) => SyntheticRecord | undefined {
  switch (api) {
    case 'water':
    case 'gas':
      return (r) => (r.account_name.endsWith('（更名）') ? undefined : { ...r, account_name: `${r.account_name}（更名）` });
    case 'rnd':
      return (r) => (r.support_amount ? { ...r, support_amount: plusOne(r.support_amount, 6) } : undefined);
    case 'agri':
      return (r) => (r.area_mu ? { ...r, area_mu: plusOne(r.area_mu, 3) } : undefined);
    default:
      return (r) => (r.remarks === '信息更正' ? undefined : { ...r, remarks: '信息更正' });
  }
}
