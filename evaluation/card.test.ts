// The card's checks: the shipped card passes; each kind of mistake is reported with where and why.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cardProblems, CARDS_DIR, shippedCard } from './card.ts';

const raw = () => JSON.parse(readFileSync(`${CARDS_DIR}basic-v1.json`, 'utf8'));

describe('card validation', () => {
  it('basic-v1 is valid and has the four dimensions of the issue', () => {
    expect(cardProblems(raw())).toEqual([]);
    expect(shippedCard('basic-v1').dimensions.map((d) => d.labelZh)).toEqual(['行政管理合规', '经营资质', '履约缴费', '科技创新']);
  });

  it('reports an unknown field, overlapping bins, rising grade cut-offs and a non-public category in the public tier', () => {
    const c = raw();
    c.dimensions[0].indicators[0].window.dateField = 'decided_on';
    c.dimensions[0].indicators[0].bins[1].min = 1.5;
    c.grades[1].minScore = 800;
    c.tiers.public.categories.push('water');
    const p = cardProblems(c);
    expect(p.map((x) => x.path)).toEqual(expect.arrayContaining([
      '/dimensions/0/indicators/0/window/dateField', '/dimensions/0/indicators/0/bins/1', '/grades/1/minScore', '/tiers/public/categories',
    ]));
    expect(p.find((x) => x.path === '/tiers/public/categories')!.messageZh).toContain('水费为非公开信息');
  });

  it('reports a schema violation (a bad reason code) with its pointer', () => {
    const c = raw();
    c.knockouts[0].reason.code = 'X1';
    const p = cardProblems(c);
    expect(p[0].path).toBe('/knockouts/0/reason/code');
    expect(p[0].messageEn).toContain('card schema');
  });

  it('requires every rule on 行政处罚 to count only records inside their 公示截止期', () => {
    const c = raw();
    c.dimensions[0].indicators[0].filter = [];
    const p = cardProblems(c);
    expect(p.map((x) => x.path)).toEqual(['/dimensions/0/indicators/0/filter']);
    expect(p[0].messageZh).toContain('公示截止期未届满');
  });

  it('reports duplicate reason codes and a knock-out grade the card does not have', () => {
    const c = raw();
    c.dimensions[0].indicators[1].reason.code = c.dimensions[0].indicators[0].reason.code;
    c.knockouts[0].grade = 'E';
    expect(cardProblems(c).map((x) => x.path)).toEqual(['/dimensions/0/indicators/1/reason/code', '/knockouts/0/grade']);
  });
});
