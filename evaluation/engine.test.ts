// The engine against hand-computed cases (basic-v1: base 700; A ≥ 750, B ≥ 680, C ≥ 600, D below),
// written before the code, and the acceptance properties with fast-check.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shippedCard } from './card.ts';
import { evaluate, evaluationJson, monthsBefore, type EvalRecord } from './engine.ts';
import { agri, enforcement, gasMonth, highTech, licence, months, penalty, support, USCC, waterMonth } from '../testkit/evaluation-records.ts';

const card = shippedCard('basic-v1');
const run = (records: EvalRecord[], asOf = '2026-06-30', tier: 'public' | 'enriched' = 'public') => evaluate(card, tier, { uscc: USCC, asOf, dataCutoff: `${asOf}T23:59:59.999Z`, records });
const points = (e: ReturnType<typeof run>) => Object.fromEntries(e.contributions.map((c) => [c.indicator, c.points]));

const threeLicences = () => [licence('2020-01-01'), licence('2021-01-01'), licence('2022-01-01')];

describe('basic-v1, hand-computed', () => {
  it('three licences in force and one penalty in publicity with an 82 万元 fine: 700 + 30 − 40 − 100 = 590, grade D', () => {
    const pen = penalty('2025-09-01', '2026-09-01', { fine_amount: '82' });
    const e = run([...threeLicences(), pen]);
    expect(points(e)).toEqual({ LIC_IN_FORCE: 30, PEN_IN_PUBLICITY: -40, PEN_FINE_TOTAL: -100 });
    expect(e.score).toBe(590);
    expect(e.grade).toBe('D');
    expect(e.contributions.find((c) => c.indicator === 'PEN_FINE_TOTAL')!.reasonZh).toBe('公示期内行政处罚罚款合计82万元');
    expect(e.contributions.find((c) => c.indicator === 'PEN_IN_PUBLICITY')!.records).toEqual([{ recordId: pen.id, version: 1, category: 'penalty', batchId: pen.batchId }]);
  });

  it('a penalty whose 公示截止期 was yesterday contributes nothing today: 700 + 30 = 730, grade B', () => {
    const records = [...threeLicences(), penalty('2025-09-01', '2026-06-29', { fine_amount: '82' })];
    const today = run(records, '2026-06-30');
    expect(points(today)).toEqual({ LIC_IN_FORCE: 30 });
    expect(today.score).toBe(730);
    expect(today.grade).toBe('B');
    // on its last day of publicity it still counts
    expect(run(records, '2026-06-29').score).toBe(590);
  });

  it('two fines of 0.1 and 0.2 万元 sum to exactly 0.3 (no float drift in the reason text)', () => {
    const e = run([...threeLicences(), penalty('2026-01-01', '2027-01-01', { fine_amount: '0.1' }), penalty('2026-02-01', '2027-02-01', { fine_amount: '0.2' })]);
    expect(e.contributions.find((c) => c.indicator === 'PEN_FINE_TOTAL')).toBeUndefined(); // 0.3 < 1 万元: no bin
    expect(points(e)).toEqual({ LIC_IN_FORCE: 30, PEN_IN_PUBLICITY: -80 });
    expect(e.score).toBe(650);
    expect(e.grade).toBe('C');
  });

  it('a knock-out (吊销许可证件 in publicity) caps the grade at D whatever the score: 700 + 30 − 40 = 690 would be B', () => {
    const e = run([...threeLicences(), penalty('2026-01-01', '2027-01-01', { penalty_kinds: ['警告', '吊销许可证件'] })]);
    expect(e.score).toBe(690);
    expect(e.grade).toBe('D');
    expect(e.knockouts.map((k) => k.reasonCode)).toEqual(['R901']);
  });

  it('one licence only is too little data: 数据不足 with no score, never a default grade', () => {
    const e = run([licence('2020-01-01')]);
    expect(e.insufficientData).toBe(true);
    expect(e.grade).toBe('数据不足');
    expect(e.score).toBeNull();
    expect(run([]).grade).toBe('数据不足');
  });

  it('enforcement: two in 24 months −100; a forced transfer within 12 months caps the grade at C', () => {
    const e = run([...threeLicences(), enforcement('2025-01-10'), enforcement('2026-03-01', '划拨存款、汇款')]);
    expect(points(e)).toEqual({ LIC_IN_FORCE: 30, ENF_RECENT: -100 });
    expect(e.score).toBe(630);
    expect(e.grade).toBe('C');
    const old = run([...threeLicences(), ...['2019-01-01', '2020-01-01', '2021-01-01', '2022-01-01'].map((d) => licence(d)), enforcement('2024-06-30', '划拨存款、汇款')]);
    // executed 2024-06-30 is outside (2024-06-30, 2026-06-30]: neither the indicator nor the knock-out sees it
    expect(points(old)).toEqual({ LIC_IN_FORCE: 45 });
    expect(old.score).toBe(745);
    expect(old.grade).toBe('B');
  });

  it('enriched tier: + agri (+15) + water paid 12 months (+20) + high-tech (+40) + 2 support items (+20) → 700 + 45 + 20 + 60 = 825, A; the public tier stays 730, B', () => {
    const water = months('2026-06').map((m) => waterMonth(m, '100.00', '100.00'));
    const records = [...threeLicences(), ...water, highTech(), support('2025-01-01'), support('2026-01-01'), agri()];
    const pub = run(records);
    expect(pub.score).toBe(730);
    expect(pub.coverage.categories).toEqual(['licensing', 'penalty', 'enforcement']);
    const enr = run(records, '2026-06-30', 'enriched');
    expect(points(enr)).toEqual({ LIC_IN_FORCE: 30, AGRI_ENTITY: 15, WATER_PAID_MONTHS: 20, RND_HIGH_TECH: 40, RND_SUPPORT: 20 });
    expect(enr.dimensions.find((d) => d.id === 'INNOVATION')).toMatchObject({ raw: 60, points: 60 });
    expect(enr.dimensions.find((d) => d.id === 'QUALIFICATION')).toMatchObject({ raw: 45, points: 45 });
    expect(enr.score).toBe(700 + 45 + 20 + 60);
    expect(enr.grade).toBe('A');
    expect(enr.coverage.withoutData).toEqual(['penalty', 'enforcement', 'gas']);
  });

  it('utility arrears: 3 unpaid months of gas in 12 → −50, and the other 9 paid months (6–11) → +10', () => {
    const gas = months('2026-06').map((m, i) => gasMonth(m, '50.00', i < 3 ? '0.00' : '50.00'));
    const e = run([...threeLicences(), ...gas], '2026-06-30', 'enriched');
    expect(points(e)).toEqual({ LIC_IN_FORCE: 30, GAS_ARREARS_MONTHS: -50, GAS_PAID_MONTHS: 10 });
    expect(e.score).toBe(690);
  });

  it('month arithmetic clips to the shorter month', () => {
    expect(monthsBefore('2026-03-31', 1)).toBe('2026-02-28');
    expect(monthsBefore('2026-06-30', 36)).toBe('2023-06-30');
    expect(monthsBefore('2024-01-15', 13)).toBe('2022-12-15');
  });
});

describe('acceptance properties', () => {
  const dateArb = fc.integer({ min: 0, max: 2000 }).map((d) => new Date(Date.UTC(2021, 0, 1) + d * 86_400_000).toISOString().slice(0, 10));
  const penaltyArb = fc.record({ date: dateArb, publicityDays: fc.integer({ min: 0, max: 1200 }), fine: fc.option(fc.integer({ min: 0, max: 2_000_000 }).map((f) => (f / 10_000).toString()), { nil: undefined }),
    kinds: fc.subarray(['警告', '罚款', '吊销许可证件', '责令停产停业', '没收违法所得'], { minLength: 1 }) })
    .map((p) => penalty(p.date, new Date(Date.parse(p.date) + p.publicityDays * 86_400_000).toISOString().slice(0, 10), { fine_amount: p.fine, penalty_kinds: p.kinds }));
  const publicArb = fc.tuple(fc.array(dateArb.map((d) => licence(d)), { minLength: 2, maxLength: 6 }), fc.array(penaltyArb, { maxLength: 6 }), fc.array(dateArb.map((d) => enforcement(d)), { maxLength: 3 }))
    .map(([a, b, c]) => [...a, ...b, ...c]);
  const gatedArb = fc.array(fc.oneof(
    fc.constantFrom(...months('2026-06')).map((m) => waterMonth(m, '10.00', '5.00')),
    fc.constantFrom(...months('2026-06')).map((m) => gasMonth(m, '10.00', '10.00')),
    fc.constant(null).map(() => highTech()), dateArb.map((d) => support(d)), fc.constant(null).map(() => agri()),
  ), { maxLength: 20 });

  it('adding a penalty never raises the score (nor improves the grade)', () => {
    const rank = (g: string) => ['A', 'B', 'C', 'D'].indexOf(g);
    fc.assert(fc.property(publicArb, penaltyArb, fc.constantFrom('public', 'enriched'), (records, extra, tier) => {
      const before = run(records, '2026-06-30', tier as 'public');
      const after = run([...records, extra], '2026-06-30', tier as 'public');
      expect(before.score).not.toBeNull();
      expect(after.score!).toBeLessThanOrEqual(before.score!);
      expect(rank(after.grade)).toBeGreaterThanOrEqual(rank(before.grade));
    }), { numRuns: 300 });
  });

  it('the public tier is the same, byte for byte, when water, gas, R&D or agri data are added or removed', () => {
    fc.assert(fc.property(publicArb, gatedArb, (pub, gated) => {
      expect(evaluationJson(run([...pub, ...gated]))).toBe(evaluationJson(run(pub)));
    }), { numRuns: 200 });
  });

  it('the same inputs give byte-identical JSON whatever order the records come in', () => {
    fc.assert(fc.property(publicArb, gatedArb, (pub, gated) => {
      const all = [...pub, ...gated];
      expect(evaluationJson(run([...all].reverse(), '2026-06-30', 'enriched'))).toBe(evaluationJson(run(all, '2026-06-30', 'enriched')));
    }), { numRuns: 100 });
  });

  it('every contribution and knock-out cites at least one record of the tier', () => {
    fc.assert(fc.property(publicArb, gatedArb, fc.constantFrom('public', 'enriched'), (pub, gated, tier) => {
      const e = run([...pub, ...gated], '2026-06-30', tier as 'public');
      const ids = new Set([...pub, ...gated].filter((r) => card.tiers[tier as 'public'].categories.includes(r.category)).map((r) => r.id));
      for (const c of [...e.contributions, ...e.knockouts]) {
        expect(c.records.length).toBeGreaterThan(0);
        for (const r of c.records) expect(ids.has(r.recordId)).toBe(true);
      }
    }), { numRuns: 100 });
  });
});
