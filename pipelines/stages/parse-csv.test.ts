import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parse as parseReference } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { createDecoder } from './decode.ts';
import { parseCsv, type ParseCsvOptions } from './parse-csv.ts';
import type { ParsedRecord } from '../types.ts';

async function* pieces(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function collect(text: string, size = Infinity, opts?: ParseCsvOptions): Promise<ParsedRecord[]> {
  const out: ParsedRecord[] = [];
  for await (const r of parseCsv(pieces(text, size === Infinity ? Math.max(text.length, 1) : size), opts)) out.push(r);
  return out;
}

/** A compact view: [line, cells] for rows, [line, code, raw] for malformed records. */
function view(records: ParsedRecord[]): unknown[] {
  return records.map((r) => (r.kind === 'row' ? [r.row.line, r.row.cells] : [r.row.line, r.row.code, r.row.raw]));
}

const SIZES = [Infinity, 1, 2, 3, 7];

describe('parseCsv: rows and line numbers', () => {
  const lf = 'h1,h2\na,b\n\nc,d\n"x\ny",z\n\n\ne,f';
  const expected = [
    [1, ['h1', 'h2']],
    [2, ['a', 'b']],
    [4, ['c', 'd']],
    [5, ['x\ny', 'z']],
    [9, ['e', 'f']],
  ];

  it.each(SIZES)('LF, blank lines, a quoted field over two lines (chunks of %s)', async (size) => {
    expect(view(await collect(lf, size))).toEqual(expected);
  });

  it.each(SIZES)('CRLF (chunks of %s)', async (size) => {
    const crlf = lf.replaceAll('\n', '\r\n') + '\r\n';
    expect(view(await collect(crlf, size))).toEqual(expected.map(([l, c]) => [l, (c as string[]).map((s) => s.replaceAll('\n', '\r\n'))]));
  });

  it.each(SIZES)('CR only, as old Mac Excel wrote (chunks of %s)', async (size) => {
    const cr = lf.replaceAll('\n', '\r');
    expect(view(await collect(cr, size))).toEqual(expected.map(([l, c]) => [l, (c as string[]).map((s) => s.replaceAll('\n', '\r'))]));
  });

  it('counts every line of a quoted field: LF inside a CRLF file, several lines, CRLF inside quotes', async () => {
    const text = 'h\r\n"a\nb\nc"\r\nd\r\n"e\r\n\r\nf",g\r\nh\r\n';
    expect(view(await collect(text, 3))).toEqual([
      [1, ['h']],
      [2, ['a\nb\nc']],
      [5, ['d']],
      [6, ['e\r\n\r\nf', 'g']],
      [9, ['h']],
    ]);
  });

  it.each(SIZES)('ends a record at any line ending, also in a file that mixes them (chunks of %s)', async (size) => {
    const text = 'h\r\na\nb\rc\r\n\n"x\ny"\r\nz';
    expect(view(await collect(text, size))).toEqual([
      [1, ['h']],
      [2, ['a']],
      [3, ['b']],
      [4, ['c']],
      [6, ['x\ny']],
      [8, ['z']],
    ]);
  });

  it('reads Excel quoting: doubled quotes, commas and line breaks in quoted fields, empty quoted fields', async () => {
    const text = '名称,备注\n"临沂""兰山""公司","地址：临沂市,兰山区\n第二行"\n"",""\n';
    expect(view(await collect(text, 5))).toEqual([
      [1, ['名称', '备注']],
      [2, ['临沂"兰山"公司', '地址：临沂市,兰山区\n第二行']],
      [4, ['', '']],
    ]);
  });

  it('returns cells as they are: no trimming, whitespace-only and comma-only lines are records', async () => {
    expect(view(await collect('h1,h2\n  a , b\t\n \n,\n'))).toEqual([
      [1, ['h1', 'h2']],
      [2, ['  a ', ' b\t']],
      [3, [' ']],
      [4, ['', '']],
    ]);
  });

  it('lets the field count vary (the caller checks it)', async () => {
    expect(view(await collect('a,b,c\n1\n1,2,3,4\n'))).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['1']],
      [3, ['1', '2', '3', '4']],
    ]);
  });

  it('yields nothing for an empty input or blank lines only', async () => {
    expect(await collect('')).toEqual([]);
    expect(await collect('\n\r\n\n')).toEqual([]);
  });

  it('keeps a surrogate pair split between two chunks', async () => {
    const text = 'h\n𠀀𠀁\n';
    for (let size = 1; size <= 4; size++) expect(view(await collect(text, size))).toEqual([[1, ['h']], [2, ['𠀀𠀁']]]);
  });

  it('reads 10 000 generated rows fed in small uneven chunks', async () => {
    const lines = ['编号,名称,备注'];
    for (let i = 1; i <= 10_000; i++) {
      const note = i % 10 === 0 ? `"第${i}行""备注""\r\n续行,含逗号"` : `备注${i}`;
      lines.push(`${i},临沂市某某有限公司${i},${note}`);
    }
    const text = lines.join('\r\n') + '\r\n';
    const sizes = [1, 2, 3, 5, 8, 13, 64, 1000];
    async function* uneven() {
      let pos = 0;
      for (let k = 0; pos < text.length; k++) {
        const n = sizes[k % sizes.length];
        yield text.slice(pos, pos + n);
        pos += n;
      }
    }
    let rows = 0;
    let line = 1;
    for await (const r of parseCsv(uneven())) {
      expect(r.kind).toBe('row');
      if (r.kind !== 'row') continue;
      expect(r.row.line).toBe(line);
      if (rows > 0) {
        expect(r.row.cells[0]).toBe(String(rows));
        expect(r.row.cells[2]).toBe(rows % 10 === 0 ? `第${rows}行"备注"\r\n续行,含逗号` : `备注${rows}`);
      }
      line += rows > 0 && rows % 10 === 0 ? 2 : 1;
      rows++;
    }
    expect(rows).toBe(10_001);
  });

  it('stops cleanly when the consumer stops early', async () => {
    let pulled = 0;
    async function* many() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield `${i},x\n`;
      }
    }
    const got: ParsedRecord[] = [];
    for await (const r of parseCsv(many())) {
      got.push(r);
      if (got.length === 3) break;
    }
    expect(got).toHaveLength(3);
    expect(pulled).toBeLessThan(10); // input is pulled only as records are consumed
  });
});

describe('parseCsv: the same records as csv-parse, which it replaced', () => {
  // Well-formed CSV of every shape: quoted or not, commas, quotes and line breaks in cells, CJK and
  // characters outside the BMP, any line ending, blank lines, with or without a final line break.
  const unit = fc.constantFrom('a', 'b', ' ', '\t', ',', '"', '\r', '\n', '中', '，', '😀');
  const cell = fc.record({ text: fc.string({ unit, maxLength: 8 }), quoted: fc.boolean() });
  const ending = fc.constantFrom('\r\n', '\n', '\r');
  const line = fc.record({ cells: fc.array(cell, { minLength: 1, maxLength: 5 }), ending, blank: fc.array(ending, { maxLength: 2 }) });
  const encode = (c: { text: string; quoted: boolean }) => (c.quoted || /[,"\r\n]/.test(c.text) ? `"${c.text.replaceAll('"', '""')}"` : c.text);

  it('yields the cells csv-parse reads, each record with the line it starts on, wherever the input is cut', async () => {
    await fc.assert(fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 12 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), async (lines, lastEnding, cuts) => {
      let text = '';
      const starts: number[] = [];
      lines.forEach((l, k) => {
        for (const b of l.blank) text += b;
        starts.push(text.length);
        // a lone unquoted empty cell would be a blank line
        text += l.cells.length === 1 && l.cells[0].text === '' ? '""' : l.cells.map(encode).join(',');
        if (k < lines.length - 1 || lastEnding) text += l.ending;
      });
      const reference = parseReference(text, { relax_quotes: false, relax_column_count: true, skip_empty_lines: true, record_delimiter: ['\r\n', '\n', '\r'] }) as string[][];
      const lineOf = (at: number) => 1 + (text.slice(0, at).match(/\r\n|\r|\n/g)?.length ?? 0);
      const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
      async function* chunks() {
        let at = 0;
        for (const p of [...points, text.length]) {
          yield text.slice(at, p);
          at = p;
        }
      }
      const got: ParsedRecord[] = [];
      for await (const r of parseCsv(chunks())) got.push(r);
      expect(view(got)).toEqual(reference.map((cells, k) => [lineOf(starts[k]), cells]));
    }), { numRuns: 300 });
  });
});

describe('parseCsv: malformed records are reported and parsing goes on', () => {
  it.each(SIZES)('a quote inside an unquoted field (chunks of %s)', async (size) => {
    const recs = await collect('h1,h2,h3\na,b"c,d\ne,f,g\n', size);
    expect(view(recs)).toEqual([
      [1, ['h1', 'h2', 'h3']],
      [2, 'E_ROW_MALFORMED', 'a,b"c,d'],
      [3, ['e', 'f', 'g']],
    ]);
    const bad = recs[1];
    expect(bad.kind === 'malformed' && bad.row.detail).toMatch(/第2列/);
  });

  it.each(SIZES)('a closing quote followed by other characters (chunks of %s)', async (size) => {
    const recs = await collect('h1,h2\n"ab"c,d\ne,f\n"g",h\nk,l', size);
    expect(view(recs)).toEqual([
      [1, ['h1', 'h2']],
      [2, 'E_ROW_MALFORMED', '"ab"c,d'],
      [3, ['e', 'f']],
      [4, ['g', 'h']],
      [5, ['k', 'l']],
    ]);
    expect(recs[1].kind === 'malformed' && recs[1].row.detail).toMatch(/第1列.*引号/);
  });

  it.each(SIZES)('a quote never closed, in the middle of the file (chunks of %s)', async (size) => {
    const recs = await collect('h1,h2\n1,"abc\n2,x\n\n3,y\n', size);
    expect(view(recs)).toEqual([
      [1, ['h1', 'h2']],
      [2, 'E_ROW_MALFORMED', '1,"abc'],
      [3, ['2', 'x']],
      [5, ['3', 'y']],
    ]);
    expect(recs[1].kind === 'malformed' && recs[1].row.detail).toMatch(/第2列：引号未闭合/);
  });

  it.each(SIZES)('a quote never closed, before other quoted fields, CRLF (chunks of %s)', async (size) => {
    const text = 'h1,h2\r\n1,"abc\r\n2,x\r\n3,"y",z\r\n4,"w"\r\n';
    expect(view(await collect(text, size))).toEqual([
      [1, ['h1', 'h2']],
      [2, 'E_ROW_MALFORMED', '1,"abc'],
      [3, ['2', 'x']],
      [4, ['3', 'y', 'z']],
      [5, ['4', 'w']],
    ]);
  });

  it('a quote never closed on the last line', async () => {
    expect(view(await collect('h\na\n"b,c\n'))).toEqual([
      [1, ['h']],
      [2, ['a']],
      [3, 'E_ROW_MALFORMED', '"b,c'],
    ]);
  });

  it('a record that goes wrong on its second line starts on its first line', async () => {
    const text = 'h1,h2\n"x\ny",b"c\ne,f\n';
    expect(view(await collect(text, 2))).toEqual([
      [1, ['h1', 'h2']],
      [2, 'E_ROW_MALFORMED', '"x\ny",b"c'],
      [4, ['e', 'f']],
    ]);
  });

  it('several malformed records in a row, then good ones', async () => {
    const text = 'h1,h2\na"b,c\n\nd"e,f\n"g"h,i\ng,h\n';
    expect(view(await collect(text, 1))).toEqual([
      [1, ['h1', 'h2']],
      [2, 'E_ROW_MALFORMED', 'a"b,c'],
      [4, 'E_ROW_MALFORMED', 'd"e,f'],
      [5, 'E_ROW_MALFORMED', '"g"h,i'],
      [6, ['g', 'h']],
    ]);
  });

  it('reports thousands of malformed records, one per line, and reads the rows after them', async () => {
    const bad = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? `${i},a"b` : i % 3 === 1 ? `${i},"a"b` : `${i},"open`));
    const text = ['h1,h2', ...bad, 'x,y'].join('\r\n') + '\r\n';
    const recs = await collect(text, 4096);
    expect(recs).toHaveLength(3002);
    expect(recs.slice(1, 3001).every((r, i) => r.kind === 'malformed' && r.row.line === i + 2 && r.row.raw === bad[i])).toBe(true);
    expect(view(recs)[3001]).toEqual([3002, ['x', 'y']]);
  });

  it.each(SIZES)('reports the whole line as raw text, wherever the input is cut (chunks of %s)', async (size) => {
    const recs = await collect('h\na,b"cdefghijkl\n"ab"cdefghijkl\r\nz\n', size);
    expect(view(recs)).toEqual([
      [1, ['h']],
      [2, 'E_ROW_MALFORMED', 'a,b"cdefghijkl'],
      [3, 'E_ROW_MALFORMED', '"ab"cdefghijkl'],
      [4, ['z']],
    ]);
  });

  it.each(SIZES)('a closing quote followed by any other character, NUL too (chunks of %s)', async (size) => {
    const recs = await collect('h1,h2\n"ab"\u0000c,d\ne,f\n', size);
    expect(view(recs)).toEqual([
      [1, ['h1', 'h2']],
      [2, 'E_ROW_MALFORMED', '"ab"\u0000c,d'],
      [3, ['e', 'f']],
    ]);
  });

  it('cuts the raw text to 2000 characters', async () => {
    const long = 'x'.repeat(5000);
    const recs = await collect(`h\n${long}"y\nz\n`, 1000);
    expect(recs[1]).toMatchObject({ kind: 'malformed', row: { line: 2, code: 'E_ROW_MALFORMED' } });
    expect(recs[1].kind === 'malformed' && recs[1].row.raw).toBe('x'.repeat(2000));
    expect(view(recs)[2]).toEqual([3, ['z']]);
  });

  it('rejects a record with bytes the decoder could not read (U+FFFD), without its cells', async () => {
    const recs = await collect('h1,h2\na,b\uFFFDc\nd,e\n');
    expect(view(recs)).toEqual([
      [1, ['h1', 'h2']],
      [2, 'E_ROW_INVALID_BYTES', 'a,b\uFFFDc'],
      [3, ['d', 'e']],
    ]);
    expect(recs[1].row).not.toHaveProperty('cells');
    expect(recs[1].kind === 'malformed' && recs[1].row.detail).toMatch(/第2列/);
  });

  it.each(SIZES)('rejects a record with a surrogate that is not half of a pair, and shows it as U+FFFD (chunks of %s)', async (size) => {
    const recs = await collect('h1,h2\n😀,a\ud800b\n\udc00\n"c😀","d"\n\ud83d', size);
    expect(view(recs)).toEqual([
      [1, ['h1', 'h2']],
      [2, 'E_ROW_INVALID_BYTES', '😀,a\ufffdb'],
      [3, 'E_ROW_INVALID_BYTES', '\ufffd'],
      [4, ['c😀', 'd']],
      [5, 'E_ROW_INVALID_BYTES', '\ufffd'],
    ]);
    expect(recs[1].kind === 'malformed' && recs[1].row.detail).toBe('第2列');
  });

  it('never cuts the raw text inside a surrogate pair: PostgreSQL refuses half of one in JSON', async () => {
    const recs = await collect(`h\n${'x'.repeat(1999)}😀"y\nz\n`);
    expect(recs[1].kind === 'malformed' && recs[1].row.raw).toBe(`${'x'.repeat(1999)}\ufffd`);
    expect(view(recs)[2]).toEqual([3, ['z']]);
  });

  it('rejects the damaged rows of a GBK file read as UTF-8, end to end', async () => {
    const bytes = iconv.encode('编号,名称\n1,临沂\n2,abc\n', 'gbk');
    const decode = createDecoder('utf-8');
    async function* text() {
      for (let i = 0; i < bytes.length; i += 3) yield decode(bytes.subarray(i, i + 3));
      yield decode(null);
    }
    const recs: ParsedRecord[] = [];
    for await (const r of parseCsv(text())) recs.push(r);
    expect(recs.map((r) => [r.kind === 'malformed' ? r.row.code : 'row', r.row.line])).toEqual([
      ['E_ROW_INVALID_BYTES', 1],
      ['E_ROW_INVALID_BYTES', 2],
      ['row', 3],
    ]);
  });

  it('reads a GBK file decoded as GB18030 in small chunks, end to end', async () => {
    const bytes = iconv.encode('编号,名称\r\n1,"临沂市""兰山区""\r\n某某公司"\r\n2,罚款\r\n', 'gbk');
    const decode = createDecoder('gb18030');
    async function* text() {
      for (let i = 0; i < bytes.length; i += 1) yield decode(bytes.subarray(i, i + 1));
      yield decode(null);
    }
    const recs: ParsedRecord[] = [];
    for await (const r of parseCsv(text())) recs.push(r);
    expect(view(recs)).toEqual([
      [1, ['编号', '名称']],
      [2, ['1', '临沂市"兰山区"\r\n某某公司']],
      [4, ['2', '罚款']],
    ]);
  });
});

describe('parseCsv: overlong records', () => {
  it.each(SIZES)('rejects a complete record over maxRecordChars and goes on (chunks of %s)', async (size) => {
    const text = `h1,h2\na,${'x'.repeat(30)}\nb,${'x'.repeat(18)}\nc,d\n`;
    const recs = await collect(text, size, { maxRecordChars: 20 });
    expect(recs.map((r) => [r.row.line, r.kind === 'row' ? 'row' : r.row.code])).toEqual([
      [1, 'row'],
      [2, 'E_ROW_TOO_LONG'],
      [3, 'row'], // exactly 20 characters
      [4, 'row'],
    ]);
    expect(recs[1].kind === 'malformed' && recs[1].row.detail).toMatch(/20/);
  });

  it.each(SIZES)('rejects a record over several lines whole, and goes on after it (chunks of %s)', async (size) => {
    const text = `h1,h2\n"${'x'.repeat(15)}\r\n${'y'.repeat(15)}",z\r\nw,v\n`;
    const recs = await collect(text, size, { maxRecordChars: 20 });
    expect(view(recs)).toEqual([
      [1, ['h1', 'h2']],
      [2, 'E_ROW_TOO_LONG', `"${'x'.repeat(15)}\r\n${'y'.repeat(15)}",z`],
      [4, ['w', 'v']],
    ]);
    expect(recs[1].kind === 'malformed' && recs[1].row.detail).toMatch(/（34）/);
  });

  it('rejects a line far over the limit while it is still being read, and goes on after it', async () => {
    const text = `h\n${'中'.repeat(500)},${'y'.repeat(500)}\n"q"\nz\n`;
    const recs = await collect(text, 16, { maxRecordChars: 50 });
    expect(recs.map((r) => [r.row.line, r.kind === 'row' ? r.row.cells : r.row.code])).toEqual([
      [1, ['h']],
      [2, 'E_ROW_TOO_LONG'],
      [3, ['q']],
      [4, ['z']],
    ]);
  });

  it('stops a quote that is never closed from swallowing the file', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `${i},ok`).join('\n');
    const text = `h1,h2\n1,"never closed\n${rows}\n`;
    const recs = await collect(text, 64, { maxRecordChars: 100 });
    expect(recs[1]).toMatchObject({ kind: 'malformed', row: { line: 2, code: 'E_ROW_TOO_LONG', raw: '1,"never closed' } });
    expect(recs[1].kind === 'malformed' && recs[1].row.detail).toMatch(/引号未闭合/);
    expect(recs.slice(2).map((r) => r.kind)).toEqual(Array(200).fill('row'));
    expect(recs[2]).toEqual({ kind: 'row', row: { line: 3, cells: ['0', 'ok'] } });
    expect(recs[201]).toEqual({ kind: 'row', row: { line: 202, cells: ['199', 'ok'] } });
  });

  it('uses 1 000 000 characters by default', async () => {
    const big = 'x'.repeat(999_990);
    const recs = await collect(`h\n${big}\n${big}xxxxxxxxxxxx\nz\n`, 65536);
    expect(recs.map((r) => (r.kind === 'row' ? r.row.line : r.row.code))).toEqual([1, 2, 'E_ROW_TOO_LONG', 4]);
  });
});
