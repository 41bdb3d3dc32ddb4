import { describe, expect, it } from 'vitest';
import { category, findProviderUnit } from '../../schemas/registry.ts';
import { mapHeaders } from './map-headers.ts';
import { MAX_KEPT_WARNINGS, readingOf, sourceHash, splitKept, withWarnings } from './source-hash.ts';

const penalty = category('penalty');
const ndrc = findProviderUnit('ndrc')!;
const headers = ['企业名称', '统一社会信用代码', '行政处罚决定文书号'];
const reading = (h: readonly string[] = headers, unit = ndrc) => readingOf(penalty, mapHeaders(penalty, [...h]).map!, unit);

describe('sourceHash', () => {
  it('is the same for the same cells under the same reading', () => {
    expect(sourceHash(reading(), ['甲公司', '91371326765330802K', '临环罚字〔2021〕第0012号']))
      .toEqual(sourceHash(reading(), ['甲公司', '91371326765330802K', '临环罚字〔2021〕第0012号']));
  });

  it('changes with any cell, with where the cells are cut, and with the reading', () => {
    const cells = ['甲公司', '91371326765330802K', '临环罚字〔2021〕第0012号'];
    const base = sourceHash(reading(), cells);
    expect(sourceHash(reading(), ['甲公司 ', cells[1], cells[2]])).not.toEqual(base);
    expect(sourceHash(reading(), ['甲公', `司${cells[1]}`, cells[2]])).not.toEqual(base);
    expect(sourceHash(reading(), [...cells, ''])).not.toEqual(base);
    // another column order, or another deliverer, reads the same cells differently
    expect(sourceHash(reading([headers[1], headers[0], headers[2]]), cells)).not.toEqual(base);
    expect(sourceHash(reading(headers, findProviderUnit('water-utility')!), cells)).not.toEqual(base);
  });

  it('gives two 32-bit halves, the low bits of the second clear for the warnings a record keeps with it', () => {
    const h = sourceHash(reading(), ['x']);
    for (const half of [h.hi, h.lo]) expect(half).toBe(half | 0);
    expect(h.lo & MAX_KEPT_WARNINGS).toBe(0);
    for (let w = 0; w <= MAX_KEPT_WARNINGS; w++) expect(splitKept(withWarnings(h, w))).toEqual({ fingerprint: h, warnings: w });
  });
});
