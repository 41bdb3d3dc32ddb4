import { expect, it } from 'vitest';
import { pgJson } from './staging.ts';

it('writes U+0000 as ␀ for jsonb, and leaves a literal backslash-u0000 text alone', () => {
  for (const [v, want] of [[['a\u0000b'], ['a␀b']], [['\\u0000'], ['\\u0000']], [['\\\u0000'], ['\\␀']], [['\u0000\u0000'], ['␀␀']], [{ k: 'x' }, { k: 'x' }]] as const) {
    const json = pgJson(v);
    expect(json).not.toMatch(/(?<!\\)(\\\\)*\\u0000/);
    expect(JSON.parse(json)).toEqual(want);
  }
});
