import { describe, expect, it } from 'vitest';
import { advance, advanceSorted, covered, parseWatermark } from './watermark.ts';

const row = (value: string, id: string) => ({ value, id });

describe('watermark', () => {
  it('covers what is older than its value, and at its value only the ids it lists', () => {
    const wm = { value: 'T2', ids: ['a', 'b'] };
    expect(covered(wm, 'T1', 'z')).toBe(true);
    expect(covered(wm, 'T2', 'a')).toBe(true);
    expect(covered(wm, 'T2', 'c')).toBe(false);
    expect(covered(wm, 'T3', 'a')).toBe(false);
    expect(covered(undefined, 'T0', 'a')).toBe(false);
  });

  it('advances to the newest value and keeps the ids read at it, across pages that tie', () => {
    const p1 = advance(undefined, [row('T1', 'a'), row('T2', 'b')], 's');
    expect(p1).toEqual({ value: 'T2', ids: ['b'] });
    const p2 = advance(p1, [row('T2', 'c'), row('T2', 'd')], 's');
    expect(p2).toEqual({ value: 'T2', ids: ['b', 'c', 'd'] });
    expect(advance(p2, [row('T3', 'e')], 's')).toEqual({ value: 'T3', ids: ['e'] });
    expect(advance(p2, [], 's')).toEqual(p2);
  });

  it('refuses rows out of cursor order as a malformed answer', () => {
    expect(() => advance({ value: 'T2', ids: [] }, [row('T1', 'x')], 's')).toThrow(expect.objectContaining({ code: 'E_PAYLOAD_MALFORMED', retryable: false }));
  });

  it('for database rows sorted by (cursor, id), compares by equality only (bigint text would sort wrongly)', () => {
    const wm = advanceSorted(undefined, [{ value: '9', id: '1' }, { value: '10', id: '2' }, { value: '10', id: '3' }]);
    expect(wm).toEqual({ value: '10', ids: ['2', '3'] });
    expect(advanceSorted(wm, [{ value: '10', id: '4' }])).toEqual({ value: '10', ids: ['2', '3', '4'] });
    expect(advanceSorted(wm, [])).toBe(wm);
  });

  it('reads a committed cursor back, and refuses one it cannot read', () => {
    expect(parseWatermark(undefined, 's')).toBeUndefined();
    expect(parseWatermark({ value: 5, ids: ['1'] }, 's')).toEqual({ value: 5, ids: ['1'] });
    expect(() => parseWatermark({ page: 3 }, 's')).toThrow(expect.objectContaining({ code: 'E_PAYLOAD_MALFORMED' }));
  });
});
