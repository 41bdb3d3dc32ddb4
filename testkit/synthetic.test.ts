import { afterEach, describe, expect, it, vi } from 'vitest';
import { orgCodeProblem, residentIdProblem, upgradeResidentId15, usccProblem } from '../lib/checks.ts';
import {
  addMonths, AGENCIES, amountWan, COUNTIES, createRng, csvLine, enterprisePool, FIELD_KEYS, formatDate, residentId, residentId15,
  SyntheticSource, syntheticEnterprise, syntheticPerson, syntheticRow, syntheticRows, wanFromFen, writeCsv,
} from './synthetic.ts';
import { category, CATEGORY_IDS } from '../schemas/registry.ts';
import { cleanRecordProblems, isoDateOf, naturalKeyOf } from './clean-check.ts';

const LINYI = new Set(['371300', ...COUNTIES.map((c) => c.code)]);

afterEach(() => vi.restoreAllMocks());

describe('createRng', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(createRng(43).next()).not.toBe(xs[0]);
    expect(createRng('x').next()).toBe(createRng('x').next());
  });

  it('forks independent streams without advancing the parent', () => {
    const a = createRng(1);
    const f1 = a.fork('p').next();
    const next = a.next();
    expect(createRng(1).next()).toBe(next);
    expect(createRng(1).fork('p').next()).toBe(f1);
  });

  it('int stays within bounds', () => {
    const r = createRng(5);
    for (let i = 0; i < 10_000; i++) {
      const v = r.int(3, 7);
      expect(v >= 3 && v <= 7 && Number.isInteger(v)).toBe(true);
    }
  });

  it('the library never calls Math.random', () => {
    const spy = vi.spyOn(Math, 'random').mockImplementation(() => {
      throw new Error('Math.random called');
    });
    const rng = createRng(9);
    for (const id of CATEGORY_IDS) {
      const it = syntheticRows(id, rng, { pool: enterprisePool(9, 30) });
      for (let i = 0; i < 50; i++) it.next();
    }
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('identifiers', () => {
  const pool = enterprisePool('ids', 2000);

  it('enterprises have valid 临沂 USCCs: 91/92/93, a 临沂 division, a valid embedded org code', () => {
    for (const e of pool) {
      expect(usccProblem(e.uscc), e.uscc).toBeNull();
      expect(['91', '92', '93']).toContain(e.uscc.slice(0, 2));
      expect(LINYI.has(e.uscc.slice(2, 8)), e.uscc).toBe(true);
      expect(orgCodeProblem(e.orgCode)).toBeNull();
      expect(e.uscc.slice(8, 17)).toBe(e.orgCode);
    }
    expect(pool.some((e) => e.orgCode.startsWith('MA'))).toBe(true);
    expect(pool.some((e) => /^\d{8}/.test(e.orgCode))).toBe(true);
  });

  it('prefix follows the kind: 92 individual businesses and farms, 93 co-ops', () => {
    for (const e of pool) {
      const want = e.kind === 'company' ? '91' : e.kind === 'coop' ? '93' : '92';
      expect(e.uscc.slice(0, 2), e.name).toBe(want);
      expect(e.subjectType).toBe(want === '92' ? '个体工商户' : '法人及非法人组织');
    }
  });

  it('names and USCCs are distinct within a pool, and the pool is memoised', () => {
    expect(new Set(pool.map((e) => e.name)).size).toBe(pool.length);
    expect(new Set(pool.map((e) => e.uscc)).size).toBe(pool.length);
    expect(enterprisePool('ids', 2000)).toBe(pool);
  });

  it('legal representatives have valid resident IDs with a 3713xx address, their birth date and sex', () => {
    for (const { legalRep: p } of pool) {
      expect(residentIdProblem(p.idNumber), p.idNumber).toBeNull();
      expect(p.idNumber.slice(0, 4)).toBe('3713');
      expect(p.idNumber.slice(6, 14)).toBe(p.birthDate.replaceAll('-', ''));
      expect(Number(p.idNumber[16]) % 2).toBe(p.sex === 'M' ? 1 : 0);
      expect(p.birthDate >= '1950-01-01' && p.birthDate <= '2000-12-31').toBe(true);
    }
  });

  it('15-digit IDs upgrade to valid 18-digit ones', () => {
    const rng = createRng(15);
    for (let i = 0; i < 200; i++) {
      const id = residentId15(rng, '1965-03-09', 'F');
      expect(id).toMatch(/^3713\d{11}$/);
      expect(residentIdProblem(upgradeResidentId15(id))).toBeNull();
    }
    expect(residentIdProblem(residentId(rng, '2000-02-29', 'M', '371302'))).toBeNull();
  });

  it('agencies have stable 11-prefixed 临沂 USCCs', () => {
    for (const a of AGENCIES) {
      expect(usccProblem(a.uscc), a.name).toBeNull();
      expect(a.uscc.slice(0, 4)).toBe('1137');
      expect(LINYI.has(a.uscc.slice(2, 8))).toBe(true);
    }
    expect(new Set(AGENCIES.map((a) => a.uscc)).size).toBe(AGENCIES.length);
    expect(AGENCIES.map((a) => a.name)).toEqual(expect.arrayContaining(['临沂市生态环境局', '临沂市市场监督管理局', '临沂市兰山区市场监督管理局', '临沂市行政审批服务局']));
  });

  it('syntheticEnterprise honours its options', () => {
    const rng = createRng(3);
    const coop = syntheticEnterprise(rng, { kind: 'coop', county: '沂南县' });
    expect(coop.uscc.slice(0, 8)).toBe('93371321');
    expect(coop.name).toMatch(/^沂南县.*专业合作社/);
    expect(coop.agriType).toBeDefined();
    const p = syntheticPerson(rng, { bornFrom: '1980-01-01', bornTo: '1980-12-31', addressCode: '371329' });
    expect(p.idNumber.slice(0, 10)).toBe('3713291980');
  });
});

describe('values', () => {
  it('万元 amounts have at most 6 decimals and no trailing zeros', () => {
    expect(wanFromFen(250_000)).toBe('0.25');
    expect(wanFromFen(1)).toBe('0.000001');
    expect(wanFromFen(120_050_000)).toBe('120.05');
    expect(wanFromFen(2_000_000)).toBe('2');
    const rng = createRng(1);
    for (let i = 0; i < 1000; i++) expect(amountWan(rng, 1, 5_000_000, 1)).toMatch(/^\d+(\.\d{1,6})?$/);
  });

  it('dates print in the clerk spellings', () => {
    expect(formatDate('2024-03-05', 'iso')).toBe('2024-03-05');
    expect(formatDate('2024-03-05', 'slash')).toBe('2024/3/5');
    expect(formatDate('2024-03-05', 'compact')).toBe('20240305');
    expect(formatDate('2024-03-05', 'chinese')).toBe('2024年3月5日');
    expect(addMonths('2024-11', 3)).toBe('2025-02');
    expect(addMonths('2024-01', -1)).toBe('2023-12');
  });
});

describe('rows', () => {
  it('FIELD_KEYS lists every category field in schema order', () => {
    for (const id of CATEGORY_IDS) expect(FIELD_KEYS[id]).toEqual(category(id).fields.map((f) => f.key));
  });

  it.each(CATEGORY_IDS)('%s: 3,000 streamed rows are clean, with unique natural keys', (id) => {
    const spec = category(id);
    const it = syntheticRows(id, createRng(`rows:${id}`), { pool: enterprisePool(4, 100) });
    const keys = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const r = it.next().value;
      expect(Object.keys(r)).toEqual(FIELD_KEYS[id]);
      expect(cleanRecordProblems(spec, r), JSON.stringify(r)).toEqual([]);
      keys.add(naturalKeyOf(spec, r));
      for (const d of ['decision_date', 'executed_at', 'support_date']) if (r[d]) expect(isoDateOf(r[d])! <= '2025-06-30', r[d]).toBe(true);
    }
    expect(keys.size).toBe(3000);
  });

  it('syntheticRow gives a clean row and is deterministic', () => {
    for (const id of CATEGORY_IDS) {
      const a = syntheticRow(id, createRng(2), { seq: 17 });
      expect(syntheticRow(id, createRng(2), { seq: 17 })).toEqual(a);
      expect(cleanRecordProblems(category(id), a)).toEqual([]);
    }
  });

  it('opts.enterprise is the subject of the first rows, and a fine always comes with the kind 罚款', () => {
    const pool = enterprisePool(5, 40);
    const src = new SyntheticSource(createRng(5), { pool, enterprise: pool[3] });
    const first = src.rows('penalty').next().value;
    expect(first.subject_uscc).toBe(pool[3].uscc);
    for (let i = 0; i < 500; i++) {
      const r = src.group('penalty')[0];
      if (r.fine_amount) expect(r.penalty_kinds.split('、')).toContain('罚款');
      expect(r.content.length).toBeGreaterThan(4);
    }
  });

  it('water/gas groups are consecutive months of one account with indicators on the latest row', () => {
    const pool = enterprisePool(6, 40);
    const src = new SyntheticSource(createRng(6), { pool });
    for (let n = 0; n < 50; n++) {
      const rows = src.group('gas', pool.find((e) => e.industry.gas[1] > 0)!);
      expect(new Set(rows.map((r) => r.account_no)).size).toBe(1);
      expect(rows.length >= 6 && rows.length <= 12).toBe(true);
      rows.forEach((r, i) => i > 0 && expect(r.billing_month).toBe(addMonths(rows[i - 1].billing_month, 1)));
      const last = rows[rows.length - 1];
      expect(last.in_arrears).toMatch(/^[是否]$/);
      expect(last.avg_usage_6m).not.toBe('');
      const arrears = rows.some((r) => Number(r.arrears) > 0);
      expect(last.in_arrears).toBe(arrears ? '是' : '否');
      for (const r of rows) expect(Math.round((Number(r.amount_due) - Number(r.amount_paid)) * 100)).toBe(Math.round(Number(r.arrears) * 100));
    }
  });

  it('group({ max: 0 }) gives the one rnd/agri row with the item columns empty', () => {
    const pool = enterprisePool(8, 60);
    const src = new SyntheticSource(createRng(8), { pool });
    const rnd = src.group('rnd', pool.find((e) => e.kind === 'company')!, { max: 0 });
    expect(rnd).toHaveLength(1);
    expect(rnd[0].support_type).toBe('');
    const agri = src.group('agri', pool.find((e) => e.agriType)!, { min: 4 });
    expect(agri.length).toBeGreaterThanOrEqual(4);
  });
});

describe('csv', () => {
  it('quotes only fields with comma, quote, CR or LF (RFC 4180) and ends records with CRLF', () => {
    expect(csvLine(['a', 'b,c', 'd"e', 'f\ng', 'h\ri', '临沂'])).toBe('a,"b,c","d""e","f\ng","h\ri",临沂');
    expect(writeCsv([['x', 'y'], ['1', '']])).toBe('x,y\r\n1,\r\n');
    expect(writeCsv([])).toBe('');
  });
});
