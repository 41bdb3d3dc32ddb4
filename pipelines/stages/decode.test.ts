import { describe, it, expect } from 'vitest';
import iconv from 'iconv-lite';
import { createDecoder, detectEncoding, parseEncodingOption, UnsupportedEncodingError } from './decode.ts';

const ZH = '统一社会信用代码,企业名称,处罚决定书文号\n91371300MA3C4XYZ0A,临沂市兰山区某某有限责任公司,临兰市监罚〔2023〕12号\n';
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const gbk = (s: string) => new Uint8Array(iconv.encode(s, 'gbk'));
const bytes = (...b: number[]) => new Uint8Array(b);

/** Decode `data` cut into pieces at the given offsets. */
function decodeSplit(encoding: 'utf-8' | 'gb18030', data: Uint8Array, cuts: number[]): string {
  const dec = createDecoder(encoding);
  let out = '';
  let from = 0;
  for (const c of [...cuts, data.length]) {
    out += dec(data.subarray(from, c));
    from = c;
  }
  return out + dec(null);
}

describe('detectEncoding', () => {
  it('takes a UTF-8 BOM as UTF-8 and says so', () => {
    const r = detectEncoding(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(ZH)]), true);
    expect(r).toMatchObject({ encoding: 'utf-8', bom: true });
    expect(r.reason).toMatch(/BOM|byte order mark/i);
  });

  it('takes valid UTF-8 without BOM as UTF-8', () => {
    expect(detectEncoding(utf8(ZH), true)).toMatchObject({ encoding: 'utf-8', bom: false });
  });

  it('takes ASCII (and an empty sample) as UTF-8', () => {
    expect(detectEncoding(utf8('a,b\n1,2\n'), true)).toMatchObject({ encoding: 'utf-8', bom: false });
    expect(detectEncoding(new Uint8Array(0), true)).toMatchObject({ encoding: 'utf-8', bom: false });
  });

  it('takes GBK bytes (an Excel export) as GB18030', () => {
    const r = detectEncoding(gbk(ZH), true);
    expect(r).toMatchObject({ encoding: 'gb18030', bom: false });
    expect(r.reason).toMatch(/UTF-8/);
  });

  it('ignores a character cut at the end of a partial sample, but not at the end of a whole file', () => {
    const full = utf8('企业名称,临沂');
    const cut = full.subarray(0, full.length - 1); // the last character loses its final byte
    expect(detectEncoding(cut, false).encoding).toBe('utf-8');
    expect(detectEncoding(full.subarray(0, full.length - 2), false).encoding).toBe('utf-8');
    expect(detectEncoding(cut, true).encoding).toBe('gb18030');
  });

  it('still reports invalid UTF-8 in the middle of a partial sample', () => {
    expect(detectEncoding(new Uint8Array([...utf8('名称'), ...gbk('临沂'), ...utf8('abc')]), false).encoding).toBe('gb18030');
  });

  it.each([
    ['xlsx', [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00], 'Excel'],
    ['xls', [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1], 'Excel'],
    ['gzip', [0x1f, 0x8b, 0x08, 0x00], 'gzip'],
  ])('refuses a %s file renamed .csv, saying what it is', (_name, b, word) => {
    expect(() => detectEncoding(bytes(...b), true)).toThrow(UnsupportedEncodingError);
    expect(() => detectEncoding(bytes(...b), true)).toThrow(word);
  });

  it('tells 1 MB of UTF-8 from 1 MB of GBK', () => {
    const big = utf8(ZH.repeat(Math.ceil(1_000_000 / Buffer.byteLength(ZH)))).subarray(0, 1_000_000);
    expect(detectEncoding(big, false).encoding).toBe('utf-8');
    expect(detectEncoding(gbk(ZH.repeat(10_000)).subarray(0, 1_000_000), false).encoding).toBe('gb18030');
  });

  it('keeps a UTF-8 file with a few stray bytes as UTF-8, so only the rows holding them are rejected', () => {
    const sample = new Uint8Array([...utf8(ZH.repeat(20)), 0xff, 0xfe, ...utf8(ZH.repeat(20))]);
    const r = detectEncoding(sample, true);
    expect(r.encoding).toBe('utf-8');
    expect(r.reason).toContain('2 invalid');
    // one pasted GBK cell in a short UTF-8 file is too much foreign text to call it UTF-8
    expect(detectEncoding(new Uint8Array([...utf8('名称,'), ...gbk(ZH)]), true).encoding).toBe('gb18030');
  });

  it.each([
    ['UTF-16 LE', [0xff, 0xfe, 0x1f, 0x7edf]],
    ['UTF-16 BE', [0xfe, 0xff, 0x7e, 0x1f]],
  ])('refuses %s with a typed bilingual error', (name, b) => {
    let err: unknown;
    try {
      detectEncoding(bytes(...b), true);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedEncodingError);
    expect(err).toBeInstanceOf(Error);
    const e = err as UnsupportedEncodingError;
    expect(e.code).toBe('E_ENCODING_UNSUPPORTED');
    expect(e.message).toContain(name);
    expect(e.message).toMatch(/不支持/);
    expect(e.message).toMatch(/not supported/);
  });
});

describe('createDecoder', () => {
  it('decodes UTF-8 and strips the BOM, also when the BOM is split', () => {
    const data = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(ZH)]);
    expect(decodeSplit('utf-8', data, [])).toBe(ZH);
    expect(decodeSplit('utf-8', data, [1])).toBe(ZH);
    expect(decodeSplit('utf-8', data, [2, 3])).toBe(ZH);
  });

  it('decodes a UTF-8 character split across chunks at every position', () => {
    const text = '临沂,𠀀A'; // 3-byte and 4-byte sequences
    const data = utf8(text);
    for (let i = 1; i < data.length; i++) expect(decodeSplit('utf-8', data, [i])).toBe(text);
    // one byte at a time
    expect(decodeSplit('utf-8', data, Array.from({ length: data.length - 1 }, (_, i) => i + 1))).toBe(text);
  });

  it('decodes a GBK character split across two chunks at every position', () => {
    const data = gbk(ZH);
    for (let i = 1; i < data.length; i++) expect(decodeSplit('gb18030', data, [i])).toBe(ZH);
    expect(decodeSplit('gb18030', data, Array.from({ length: data.length - 1 }, (_, i) => i + 1))).toBe(ZH);
  });

  it('decodes GB18030 four-byte sequences split across chunks, and drops a GB18030 BOM', () => {
    const text = '\ufeff€𠀀臨沂ḿ'; // ḿ and 𠀀 need four bytes in GB18030
    const data = new Uint8Array(iconv.encode(text, 'gb18030'));
    expect(data.subarray(0, 4)).toEqual(bytes(0x84, 0x31, 0x95, 0x33));
    for (let i = 1; i < data.length; i++) expect(decodeSplit('gb18030', data, [i])).toBe(text.slice(1));
  });

  it('turns invalid UTF-8 into U+FFFD without throwing, and keeps the bytes after it', () => {
    expect(decodeSplit('utf-8', new Uint8Array([...utf8('a,'), 0xff, ...utf8('b\nc')]), [])).toBe('a,\ufffdb\nc');
    // GBK read as UTF-8: every character is damaged, the ASCII around it is kept
    expect(decodeSplit('utf-8', new Uint8Array([...gbk('临沂'), 0x2c, 0x31]), [])).toMatch(/^\ufffd+,1$/);
    // a sequence cut by the end of the file
    expect(decodeSplit('utf-8', utf8('ab临').subarray(0, 4), [])).toBe('ab\ufffd');
  });

  it('turns invalid GB18030 bytes into U+FFFD without swallowing a following quote or newline', () => {
    expect(decodeSplit('gb18030', bytes(0x41, 0xff, 0x42), [])).toBe('A\ufffdB');
    expect(decodeSplit('gb18030', bytes(0xd6, 0x22, 0x2c, 0xd6, 0x0a, 0x41), [1])).toBe('\ufffd",\ufffd\nA');
    // a lead byte cut by the end of the file
    expect(decodeSplit('gb18030', bytes(0x41, 0xd6), [])).toBe('A\ufffd');
  });

  it('loses nothing when an invalid GB18030 sequence straddles two chunks (iconv-lite streaming bug)', () => {
    const data = bytes(0x81, 0x30, 0x81, 0x41, 0x42, 0x43);
    const whole = iconv.decode(Buffer.from(data), 'gb18030');
    expect(whole).toBe('\ufffd0丄BC');
    for (let i = 1; i < data.length; i++) expect(decodeSplit('gb18030', data, [i])).toBe(whole);
    expect(decodeSplit('gb18030', bytes(0xd6, 0x22, 0x2c, 0xd6, 0x0a, 0x41), [4])).toBe('\ufffd",\ufffd\nA');
  });

  it('decodes damaged GB18030 cut anywhere the same as in one piece', () => {
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const good = Array.from(gbk(ZH));
    for (let round = 0; round < 200; round++) {
      const b: number[] = [];
      while (b.length < 60) {
        const r = rnd(10);
        if (r < 5) b.push(good[rnd(good.length)]); // stray bytes of valid text, often half characters
        else if (r < 7) b.push(0x81 + rnd(0x7e), 0x30 + rnd(10)); // start of a four-byte sequence
        else if (r < 8) b.push([0x22, 0x2c, 0x0a, 0x0d][rnd(4)]);
        else b.push(rnd(256));
      }
      const data = new Uint8Array(b);
      const whole = decodeSplit('gb18030', data, []);
      expect(whole).toBe(iconv.decode(Buffer.from(data), 'gb18030'));
      const cuts = [...new Set([rnd(60), rnd(60), rnd(60)])].filter((c) => c > 0).sort((x, y) => x - y);
      expect(decodeSplit('gb18030', data, cuts), `bytes ${Buffer.from(data).toString('hex')} cut at ${cuts}`).toBe(whole);
    }
  });

  it('returns an empty string for empty chunks and an empty flush', () => {
    const dec = createDecoder('gb18030');
    expect(dec(new Uint8Array(0))).toBe('');
    expect(dec(null)).toBe('');
  });
});

describe('parseEncodingOption', () => {
  it.each([
    [undefined, 'auto'],
    ['auto', 'auto'],
    ['AUTO', 'auto'],
    ['utf-8', 'utf-8'],
    ['UTF-8', 'utf-8'],
    ['utf8', 'utf-8'],
    ['gbk', 'gb18030'],
    ['GBK', 'gb18030'],
    ['gb2312', 'gb18030'],
    ['GB18030', 'gb18030'],
    [' gbk ', 'gb18030'],
  ] as const)('%j -> %s', (input, expected) => {
    expect(parseEncodingOption(input)).toBe(expected);
  });

  it.each(['latin1', 'utf-16', 'big5', '', 'toString', 'constructor'])('refuses %j and lists the accepted values', (s) => {
    expect(() => parseEncodingOption(s)).toThrow(/auto.*utf-8.*utf8.*gbk.*gb2312.*gb18030/);
  });
});
