// The hostile-file corpus (issue 6): each case generates a file into a temporary folder, runs it
// through the real ingest path (ingestFile: the parse worker, runBatch, the batch transaction) into a
// database of its own, and checks the outcome expected of it: refused with which code, or loaded
// with which lines kept and which rejected with which code. Then the same for upload file names
// through the HTTP API. docs/reliability.md (Hostile input) lists each case and its outcome.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssueCode } from '../../pipelines/issues.ts';
import { DEFAULT_LIMITS, type IngestLimits } from '../../pipelines/limits.ts';
import type { BatchReport } from '../../pipelines/run-batch.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import {
  COLUMNS, gb18030, gbk, HEADER, lines, row, rows, utf16, utf8, withContent, withFacts, withName, withUscc, writePieces,
} from '../helpers/hostile-files.ts';
import { ingest } from '../helpers/ingest.ts';
import { createTestDb, type TestDb } from '../helpers/pg.ts';
import { allReadable, readable } from '../helpers/records.ts';

const MB = 1024 * 1024;
const dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-hostile-files-'));

type Expected =
  | { readonly refused: IssueCode; readonly line?: number | null; readonly says?: RegExp; readonly encoding?: string | null }
  | {
    readonly loaded: {
      /** Lines of the file whose records are stored. */
      readonly accepted: readonly number[];
      /** [line, code, what the message says]: exactly these lines are rejected. */
      readonly rejected: readonly (readonly [number, IssueCode, RegExp?])[];
      readonly warnings?: readonly (readonly [IssueCode, number])[];
      readonly encoding?: string;
    };
  };

interface Case {
  readonly name: string;
  /** Writes the file (or returns its bytes); `tag` makes the rows new records for this case. */
  readonly build: (file: string, tag: string) => Buffer | number | void;
  readonly limits?: Partial<IngestLimits>;
  readonly expect: Expected;
  /** More checks on the outcome. */
  readonly check?: (r: BatchReport, file: string) => void | Promise<void>;
  /** Sample the process's resident set while the batch runs, and bound its growth (MB). */
  readonly maxRssGrowthMB?: number;
}

const fiftyMbField = (quoted: boolean) => (file: string, tag: string) => writePieces(file, [
  utf8(lines([HEADER, row(0, tag)])),
  // the row's last column, 备注, gets the 50 MB: 'x' unquoted, or '长,' (3+1 bytes) inside quotes
  utf8(row(1, tag) + (quoted ? '"' : '')),
  quoted ? { repeat: utf8('长,'), times: (50 * MB) / 4 } : { repeat: utf8('x'), times: 50 * MB },
  utf8(`${quoted ? '"' : ''}\r\n`),
  utf8(lines([row(2, tag)])),
]);

// A record exactly at the record-length limit, and one a character over it.
const AT_LIMIT = 5_000;
const padTo = (tag: string, i: number, chars: number) => {
  const extra = chars - row(i, tag).length;
  const facts = Math.floor(extra / 2); // 违法事实 and 行政处罚内容 may each hold 4000 characters
  return row(i, tag, (cells) => {
    withFacts('事'.repeat(facts))(cells);
    withContent('罚'.repeat(extra - facts))(cells);
  });
};

// A file of 45 × 70 rows (about 2 MB) over a size limit of `limit` bytes. The records before the
// limit's byte are read, so the line named is the one the limit falls on: the line holding byte
// limit + 1, the first past the limit, which lies beyond line `minLine`.
const pastSizeLimit = (name: string, limit: number, minLine: number): Case => ({
  name,
  build: (_f, t) => utf8(lines([HEADER, ...Array.from({ length: 45 }, (_, k) => rows(70, `${t}-${k}`)).flat()])),
  limits: { maxFileBytes: limit },
  expect: { refused: 'R_FILE_TOO_LARGE', says: new RegExp(`> ${limit} bytes, at line \\d+`) },
  check: (r, file) => {
    const lineOfLimit = readFileSync(file).subarray(0, limit + 1).toString('latin1').split('\r\n').length;
    expect(lineOfLimit).toBeGreaterThan(minLine);
    expect(r.refusal!.line).toBe(lineOfLimit);
    expect(r.refusal!.messageEn).toContain(`at line ${r.refusal!.line}`);
  },
});

const CASES: readonly Case[] = [
  // quotes and line ends
  {
    name: 'unclosed quote on one line: that record rejected from its first line, the lines after it read again',
    build: (_f, t) => utf8(lines([HEADER, row(0, t), row(1, t).replace(',法人及非法人组织,', ',"法人及非法人组织,'), row(2, t), row(3, t)])),
    expect: { loaded: { accepted: [2, 4, 5], rejected: [[3, 'E_ROW_MALFORMED', /column 3: a quote is never closed/]] } },
  },
  {
    name: 'unclosed quote that would swallow the rest of the file: cut at the record limit, the rest read again',
    build: (_f, t) => utf8(lines([HEADER, row(0, t), row(1, t).replace(',法人及非法人组织,', ',"法人及非法人组织,'), ...rows(60, t, 2)])),
    limits: { maxRecordChars: AT_LIMIT },
    expect: { loaded: { accepted: [2, ...Array.from({ length: 60 }, (_, i) => 4 + i)], rejected: [[3, 'E_ROW_TOO_LONG', /more than 5000 characters: a quote on this line is never closed/]] } },
  },
  {
    name: 'NUL bytes: three before a row, and a 4 KB zero-filled block inside another (damage, not UTF-16)',
    build: (_f, t) => Buffer.concat([
      utf8(lines([HEADER, row(0, t)])), Buffer.alloc(3), utf8(lines([row(1, t), row(2, t)])),
      utf8(row(3, t).slice(0, 40)), Buffer.alloc(4096), utf8(row(3, t).slice(40) + '\r\n'), utf8(lines([row(4, t)])),
    ]),
    expect: { loaded: { accepted: [2, 4, 6], rejected: [[3, 'E_ROW_NUL', /NUL/], [5, 'E_ROW_NUL', /NUL/]], encoding: 'utf-8' } },
  },
  {
    name: 'CR-only line ends (old Mac Excel): read as lines, numbered right',
    build: (_f, t) => utf8(lines([HEADER, row(0, t), row(1, t), row(2, t, withUscc('BAD')), row(3, t)], '\r')),
    expect: { loaded: { accepted: [2, 3, 5], rejected: [[4, 'E_USCC_LENGTH', /"BAD"/]] } },
  },
  {
    name: 'CRLF, LF and CR mixed in one file (two exports pasted together)',
    build: (_f, t) => utf8(`${HEADER}\r\n${row(0, t)}\n${row(1, t)}\r${row(2, t, withUscc('BAD'))}\r\n\n${row(3, t)}\r`),
    expect: { loaded: { accepted: [2, 3, 6], rejected: [[4, 'E_USCC_LENGTH']], warnings: [] } },
  },

  // sizes and limits
  {
    name: 'a 50 MB unquoted field: rejected while streaming by the record limit, naming it and the line; memory stays bounded',
    build: fiftyMbField(false),
    expect: { loaded: { accepted: [2, 4], rejected: [[3, 'E_ROW_TOO_LONG', new RegExp(`more than ${DEFAULT_LIMITS.maxRecordChars} characters`)]] } },
    maxRssGrowthMB: 150,
  },
  {
    name: 'a 50 MB quoted field full of commas: the same',
    build: fiftyMbField(true),
    expect: { loaded: { accepted: [2, 4], rejected: [[3, 'E_ROW_TOO_LONG', new RegExp(`more than ${DEFAULT_LIMITS.maxRecordChars} characters`)]] } },
    maxRssGrowthMB: 150,
  },
  {
    name: 'a 5 MB last line with no line break after it',
    build: (f, t) => writePieces(f, [utf8(lines([HEADER, row(0, t)])), utf8(row(1, t)), { repeat: utf8('x'), times: 5 * MB }]),
    expect: { loaded: { accepted: [2], rejected: [[3, 'E_ROW_TOO_LONG', /more than 1000000 characters/]] } },
  },
  {
    name: 'very long lines: a record exactly at the record limit loads, one character more is rejected naming the limit and its length',
    build: (_f, t) => utf8(lines([HEADER, padTo(t, 0, AT_LIMIT), padTo(t, 1, AT_LIMIT + 1), row(2, t)])),
    limits: { maxRecordChars: AT_LIMIT },
    expect: { loaded: { accepted: [2, 4], rejected: [[3, 'E_ROW_TOO_LONG', new RegExp(`more than ${AT_LIMIT} characters: ${AT_LIMIT + 1}`)]] } },
  },
  {
    name: 'a header of 100,000 columns: refused by the column limit',
    build: (_f, t) => utf8(lines([[HEADER, ...Array.from({ length: 100_000 - COLUMNS.length }, (_, i) => `c${i}`)].join(','), row(0, t)])),
    expect: { refused: 'R_TOO_MANY_COLUMNS', line: 1, says: /100000 > 500/ },
  },
  {
    name: 'a header of 100,000 long column names (over the record limit): refused as unreadable, naming the limit',
    build: (_f, t) => utf8(lines([[HEADER, ...Array.from({ length: 100_000 - COLUMNS.length }, (_, i) => `未知的列名称_${i}`)].join(','), row(0, t)])),
    expect: { refused: 'R_HEADER_UNREADABLE', line: 1, says: /more than 1000000 characters/ },
  },
  {
    name: 'a row of 100,000 fields: that row rejected, the others load',
    build: (_f, t) => utf8(lines([HEADER, row(0, t), row(1, t) + ',x'.repeat(100_000 - COLUMNS.length), row(2, t)])),
    expect: { loaded: { accepted: [2, 4], rejected: [[3, 'E_ROW_FIELD_COUNT', /100000 ≠ 29/]] } },
  },
  {
    name: 'a row padded with 100,000 empty trailing cells (Excel): loads',
    build: (_f, t) => utf8(lines([HEADER, row(0, t) + ','.repeat(100_000), row(1, t)])),
    expect: { loaded: { accepted: [2, 3], rejected: [] } },
  },
  pastSizeLimit('a file past the size limit: refused as the bytes cross it, naming the limit and the line it falls on; nothing loads', 1_500_000, 1000),
  pastSizeLimit('a size limit inside the first megabyte (the encoding sample): the line it falls on is named all the same', 300_000, 100),

  // headers
  {
    name: 'duplicate headers: the first column is used, the other reported',
    build: (_f, t) => utf8(lines([HEADER.replace(/,备注$/, ',企业名称'), row(0, t) + '另一家公司', row(1, t)])),
    expect: { loaded: { accepted: [2, 3], rejected: [], warnings: [['W_DUPLICATE_COLUMN', 1]] } },
    check: async (r) => {
      const first = readable(await t.db.knex('credit_records').where({ batch_id: r.batchId, source_line: 2 }).first());
      expect(first.fields.subject_name).toBe('平邑县嘉禾食品有限公司');
    },
  },
  {
    name: 'a header and no rows: loads, 0 records',
    build: () => utf8(`\ufeff${HEADER}\r\n`),
    expect: { loaded: { accepted: [], rejected: [] } },
  },
  {
    name: 'blank lines before the header: the header is found, rows keep their own line numbers',
    build: (_f, t) => utf8(`\r\n\r\n${lines([HEADER, row(0, t), row(1, t, withUscc('BAD'))])}`),
    expect: { loaded: { accepted: [4], rejected: [[5, 'E_USCC_LENGTH']] } },
  },
  {
    name: 'lines of spaces and tabs before the header: skipped like blank lines',
    build: (_f, t) => utf8(`   \r\n\t \t\r\n${lines([HEADER, row(0, t), row(1, t, withUscc('BAD'))])}`),
    expect: { loaded: { accepted: [4], rejected: [[5, 'E_USCC_LENGTH']] } },
  },
  {
    name: 'a file of nothing but spaces, tabs and line breaks: empty',
    build: () => utf8(' \r\n   \r\n\t\r\n  '),
    expect: { refused: 'R_EMPTY_FILE', line: null },
  },
  {
    name: 'an empty file',
    build: () => Buffer.alloc(0),
    expect: { refused: 'R_EMPTY_FILE', line: null },
  },
  {
    name: 'a byte order mark and blank lines only',
    build: () => utf8('\ufeff\r\n\r\n\n'),
    expect: { refused: 'R_EMPTY_FILE', line: null },
  },

  // encodings
  {
    name: 'mixed UTF-8 and GBK: one GBK row pasted into a UTF-8 file is rejected at its line, the rest loads',
    build: (_f, t) => Buffer.concat([utf8(lines([HEADER, ...rows(30, t)])), gbk(lines([row(30, t)])), utf8(lines(rows(29, t, 31)))]),
    expect: { loaded: { accepted: [...Array.from({ length: 30 }, (_, i) => 2 + i), ...Array.from({ length: 29 }, (_, i) => 33 + i)], rejected: [[32, 'E_ROW_INVALID_BYTES', /not valid in the file's encoding/]], encoding: 'utf-8' } },
  },
  {
    name: 'mixed GBK and UTF-8: one UTF-8 row in a GBK export is rejected at its line, the rest loads',
    build: (_f, t) => Buffer.concat([gbk(lines([HEADER, row(0, t), row(1, t)])), utf8(lines([row(2, t)])), gbk(lines([row(3, t), row(4, t)]))]),
    expect: { loaded: { accepted: [2, 3, 5, 6], rejected: [[4, 'E_ROW_INVALID_BYTES']], encoding: 'gb18030' } },
  },
  {
    name: 'mixed UTF-8 and GBK where the GBK part outweighs the UTF-8 header: refused, saying the file mixes the two',
    build: (_f, t) => Buffer.concat([utf8(lines([HEADER, row(0, t)])), gbk(lines(rows(5, t, 1)))]),
    expect: { refused: 'R_HEADER_UNREADABLE', line: 1, says: /not valid gb18030; the file may mix UTF-8 and GBK/, encoding: 'gb18030' },
  },
  {
    name: 'a GB18030 four-byte character (CJK Extension B) in a GBK file: decoded and stored intact',
    build: (_f, t) => gb18030(lines([HEADER, row(0, t, withName('𠀀𡃁建材有限公司'))])),
    expect: { loaded: { accepted: [2], rejected: [], encoding: 'gb18030' } },
    check: async (r) => {
      const rec = readable(await t.db.knex('credit_records').where({ batch_id: r.batchId }).first());
      expect(rec.fields.subject_name).toBe('𠀀𡃁建材有限公司');
    },
  },
  ...(['le', 'be'] as const).flatMap((endian) => [true, false].map((bom): Case => ({
    name: `UTF-16 ${endian.toUpperCase()} ${bom ? 'with' : 'without'} a byte order mark: refused, saying which`,
    build: (_f, t) => utf16(lines([HEADER, row(0, t), row(1, t)]), endian, bom),
    expect: { refused: 'R_ENCODING_UNSUPPORTED', line: null, says: new RegExp(`UTF-16 ${endian.toUpperCase()} encoded`) },
  }))),
  {
    name: 'a gzip-compressed CSV renamed .csv: refused, saying what it is',
    build: (_f, t) => gzipSync(utf8(lines([HEADER, row(0, t)]))),
    expect: { refused: 'R_ENCODING_UNSUPPORTED', line: null, says: /gzip-compressed file, not CSV text/ },
  },
];

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('hostile');
});
afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the hostile-file corpus through the real ingest path', () => {
  CASES.forEach((c, n) => {
    it(c.name, async () => {
      const file = path.join(dir, `case-${n}.csv`);
      const built = c.build(file, `h${n}`);
      if (Buffer.isBuffer(built)) writeFileSync(file, built);
      const limits = c.limits ? { ...DEFAULT_LIMITS, ...c.limits } : undefined;

      let peak = process.memoryUsage().rss;
      const before = peak;
      const sampler = c.maxRssGrowthMB ? setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5) : undefined;
      let r: BatchReport;
      try {
        r = await ingest(t.db, file, 'penalty', 'ndrc', { limits });
      } finally {
        clearInterval(sampler);
      }
      if (c.maxRssGrowthMB) expect((peak - before) / MB, 'resident set growth (MB) while the batch ran').toBeLessThan(c.maxRssGrowthMB);

      expect(r.error).toBeUndefined();
      const batch = await t.db.knex('batches').where({ id: r.batchId }).first();
      const stored = allReadable(await t.db.knex('credit_records').where({ batch_id: r.batchId }).orderBy('source_line'));
      const rejected = await t.db.knex('rejected_rows').where({ batch_id: r.batchId }).orderBy('line');
      const e = c.expect;
      if ('refused' in e) {
        expect(r.status).toBe('refused');
        expect(r.refusal?.code).toBe(e.refused);
        if (e.line !== undefined) expect(r.refusal?.line).toBe(e.line);
        if (e.says) expect(`${r.refusal?.messageZh} ${r.refusal?.messageEn}`).toMatch(e.says);
        if (e.encoding !== undefined) expect(r.encoding).toBe(e.encoding);
        expect(batch).toMatchObject({ status: 'refused' });
        expect(batch.refusal.code).toBe(e.refused);
        expect(stored).toHaveLength(0);
        expect(rejected).toHaveLength(0);
      } else {
        const want = e.loaded;
        expect(r.status).toBe('loaded');
        expect(r.refusal).toBeNull();
        if (want.encoding) expect(r.encoding).toBe(want.encoding);
        expect({ read: r.read, accepted: r.accepted, rejected: r.rejected }).toEqual({
          read: want.accepted.length + want.rejected.length, accepted: want.accepted.length, rejected: want.rejected.length,
        });
        expect(r.inserted).toBe(want.accepted.length); // every case's rows are new records
        expect(stored.map((s: { source_line: number }) => s.source_line)).toEqual(want.accepted);
        expect(rejected.map((s: { line: number }) => s.line)).toEqual(want.rejected.map(([line]) => line));
        for (const [line, code, says] of want.rejected) {
          const issues = rejected.find((s: { line: number }) => s.line === line).issues as { code: string; line: number; messageZh: string; messageEn: string }[];
          expect(issues.map((i) => i.code), `line ${line}`).toContain(code);
          const issue = issues.find((i) => i.code === code)!;
          expect(issue.line).toBe(line);
          if (says) expect(`${issue.messageZh} ${issue.messageEn}`).toMatch(says);
        }
        if (want.warnings) {
          expect(r.warnings.map((w) => [w.code, w.line])).toEqual(want.warnings);
        }
        expect(batch).toMatchObject({ status: 'loaded', read: r.read, accepted: r.accepted, rejected: r.rejected });
      }
      await c.check?.(r, file);
    });
  });
});

describe('hostile upload file names and cells through the HTTP API', () => {
  // The upload folder sits two levels down in a folder of its own, so a name that climbed out of it
  // (../../x) would land where the test can see it.
  const root = mkdtempSync(path.join(tmpdir(), 'credit-etl-hostile-upload-'));
  const uploadDir = path.join(root, 'a', 'b', 'uploads');
  let h: ApiHarness;
  let auth: { authorization: string };
  beforeAll(async () => {
    h = await createApiHarness('hostile_upload', { uploadDir });
    auth = await h.token('provider', '市发展改革委');
  });
  afterAll(async () => {
    await h?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** POST /batches with the file part's Content-Disposition parameters as given, byte for byte. */
  const post = (filenameParam: Buffer | string, content: Buffer) => {
    const boundary = `----credit-etl-hostile-${Math.random().toString(16).slice(2)}`;
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\npenalty\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; `), Buffer.from(filenameParam),
      Buffer.from('\r\nContent-Type: text/csv\r\n\r\n'), content, Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return h.app.inject({ method: 'POST', url: '/batches', payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, ...auth } });
  };
  const quoted = (name: string) => Buffer.concat([Buffer.from('filename="'), Buffer.from(name, 'utf8'), Buffer.from('"')]);
  const extended = (encoded: string) => `filename*=UTF-8''${encoded}`;

  const NAMES: readonly (readonly [label: string, param: Buffer | string, shown: string])[] = [
    ['../../etc/passwd.csv', quoted('../../etc/passwd.csv'), 'passwd.csv'],
    ['..\\..\\x.csv', quoted('..\\..\\x.csv'), 'x.csv'],
    ['/abs/path.csv', quoted('/abs/path.csv'), 'path.csv'],
    ['a Windows path (old browsers send the whole path)', quoted('C:\\Users\\张三\\Desktop\\处罚信息.csv'), '处罚信息.csv'],
    ['..', quoted('..'), 'upload.csv'],
    ['an empty name', quoted(''), 'upload.csv'],
    ['../../evil.csv percent-encoded (RFC 5987)', extended('..%2F..%2Fevil.csv'), 'evil.csv'],
    ['a raw NUL byte', Buffer.concat([Buffer.from('filename="a'), Buffer.from([0]), Buffer.from('b.csv"')]), 'ab.csv'],
    ['an encoded NUL, tab and DEL', extended('a%00b%09c%7Fd.csv'), 'abcd.csv'],
    ['a right-to-left override (x<U+202E>vsc.exe shows as xexe.csv)', quoted('invoice\u202evsc.exe'), 'invoicevsc.exe'],
    ['5,000 Chinese characters', quoted(`${'长'.repeat(5000)}.csv`), '长'.repeat(200)],
    ['a long name cut next to an emoji (no half surrogate pair)', quoted(`${'x'.repeat(199)}😀😀.csv`), `${'x'.repeat(199)}😀`],
  ];

  NAMES.forEach(([label, param, shown], n) => {
    it(`an upload named ${label} loads, shown as ${JSON.stringify(shown.length > 40 ? `${shown.slice(0, 20)}…(${[...shown].length} characters)` : shown)}`, async () => {
      const res = await post(param, utf8(lines([HEADER, row(0, `u${n}`)])));
      expect(res.statusCode, res.body).toBe(201);
      const b = res.json();
      expect(b).toMatchObject({ status: 'loaded', fileName: shown, counts: { read: 1, accepted: 1, rejected: 0 } });
      const registry = await h.t.db.knex('batches').where({ id: b.id }).first();
      expect(registry.file_name).toBe(shown);
      const report = await h.app.inject({ url: b.links.rejects, headers: auth });
      expect(report.statusCode).toBe(200);
      const disposition = report.headers['content-disposition'] as string;
      expect(disposition).toMatch(/^attachment; filename="rejects\.csv"; filename\*=UTF-8''[A-Za-z0-9%!'()*._~-]+$/);
      expect(decodeURIComponent(disposition.split("''")[1])).toBe(`${shown.replace(/\.csv$/i, '')}-错误报告.csv`);
    });
  });

  it('an upload whose name holds a line break is refused, and the error says why', async () => {
    for (const param of [extended('a%0Ab.csv'), extended('..%2F..%2Fa%0D%0Ab.csv')]) {
      const res = await post(param, utf8(lines([HEADER, row(0, 'u-newline')])));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'E_NO_FILE', messageEn: expect.stringContaining('line break') });
    }
  });

  it('nothing was written outside the upload folder, and the upload folder is empty again', () => {
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? [`${path.join(d, e.name)}/`, ...walk(path.join(d, e.name))] : [path.join(d, e.name)]));
    expect(walk(root)).toEqual([`${path.join(root, 'a')}/`, `${path.join(root, 'a', 'b')}/`, `${uploadDir}/`]);
    for (const escaped of ['../../etc/passwd.csv', '../../evil.csv', '../x.csv', '/abs/path.csv']) {
      expect(existsSync(path.resolve(uploadDir, escaped.replace(/^\//, '')))).toBe(false);
    }
  });

  it('formula cells (= + - @) are stored as delivered and neutralised in the rejection report', async () => {
    const formula = '=HYPERLINK("http://evil.example","点击")';
    const csvCell = (s: string) => `"${s.replaceAll('"', '""')}"`;
    const content = utf8(lines([
      HEADER,
      row(0, 'u-formula', withName(csvCell(formula))),
      row(1, 'u-formula', (c) => { withName('+cmd|\' /C calc\'!A0')(c); withUscc('@SUM(A1)')(c); }),
      row(2, 'u-formula', (c) => { withName('-2+3'); withUscc('=1+1')(c); }),
    ]));
    const res = await post(quoted('公式.csv'), content);
    expect(res.statusCode, res.body).toBe(201);
    const b = res.json();
    expect(b.counts).toMatchObject({ read: 3, accepted: 1, rejected: 2 });
    const stored = readable(await h.t.db.knex('credit_records').where({ batch_id: b.id }).first());
    expect(stored.fields.subject_name).toBe(formula);
    const report = await h.app.inject({ url: b.links.rejects, headers: auth });
    const [header, ...reportRows] = parse(report.rawPayload, { bom: true }) as string[][];
    const name = header.indexOf('企业名称');
    const uscc = header.indexOf('统一社会信用代码');
    expect(reportRows.map((r) => [r[name], r[uscc], r[header.indexOf('行号')]])).toEqual([
      ["'+cmd|' /C calc'!A0", "'@SUM(A1)", '3'],
      [expect.any(String), "'=1+1", '4'],
    ]);
    for (const r of reportRows) for (const cell of r) expect(cell).not.toMatch(/^[=+\-@]/);
  });
});
