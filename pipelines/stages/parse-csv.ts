// Stage 2: decoded text -> CSV records, each with the file line it starts on.
//
// csv-parse (arrays mode, streaming parse()) does the splitting. Around it this stage keeps a window
// of the bytes fed to the parser that no record has claimed yet, so that it can
//  - number lines itself: csv-parse's `info.lines` counts a CRLF inside a quoted field twice;
//  - report a malformed record with its start line and raw text, then carry on. csv-parse's own
//    `skip_records_with_error` does not recover well: after `"ab"c` it stays inside the quoted
//    field and swallows the next records, an unclosed quote swallows the rest of the file, and after
//    CSV_MAX_RECORD_SIZE it drops the rest of the chunk. So on the first error of a record the
//    parser is stopped (on_skip throws) and a fresh parser resumes on a later line (see recover).
// Memory stays flat: records are handed on per input chunk, and the window holds only the record
// being read; one that grows past the length limit (say, a quote that is never closed) is cut off
// here. csv-parse's max_record_size is not used: it counts finished fields in characters but the
// current one in bytes, and with skip_records_with_error it loses the records after it in the chunk.
// Its `raw` option (a third slower) is used only to locate an error now and then (see locate).
import { parse, type CsvError, type Options, type Parser } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { IssueCode } from '../issues.ts';
import type { ParsedRecord } from '../types.ts';

export interface ParseCsvOptions {
  /** A record whose content (cells plus separators) is longer than this is rejected with E_ROW_TOO_LONG. Default 1_000_000. */
  maxRecordChars?: number;
}

export const DEFAULT_MAX_RECORD_CHARS = 1_000_000;
const RAW_MAX_CHARS = 2000;
/** Characters split at a time. */
const PIECE_CHARS = 16 * 1024;
const CR = 0x0d;
const LF = 0x0a;
const REPLACEMENT = Buffer.from('\ufffd'); // EF BF BD: what the decoder put in place of invalid bytes
const EMPTY = Buffer.alloc(0);
const STOP = new Error('csv-parse stopped at a malformed record');
const noop = () => {};

/**
 * Parse decoded CSV text. Yields every record (the header too) as `row` with the line it starts
 * on; a record that cannot be read is yielded as `malformed` and parsing goes on with the next line.
 * Cells are returned untrimmed. Blank lines are skipped but counted.
 */
export async function* parseCsv(text: AsyncIterable<string>, opts: ParseCsvOptions = {}): AsyncGenerator<ParsedRecord> {
  const splitter = new RecordSplitter(opts.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS);
  let carry = ''; // a high surrogate cut from its pair at the end of a chunk
  try {
    for await (let chunk of text) {
      if (carry !== '') chunk = carry + chunk;
      const last = chunk.charCodeAt(chunk.length - 1);
      carry = last >= 0xd800 && last <= 0xdbff ? chunk.slice(-1) : '';
      if (carry !== '') chunk = chunk.slice(0, -1);
      // Bounded work per piece, whatever the chunk: a megabyte of one-character lines is a quarter of
      // a million records, which must go on as they are split, not pile up before the first is handed on.
      for (let at = 0; at < chunk.length; at += PIECE_CHARS) {
        let end = Math.min(chunk.length, at + PIECE_CHARS);
        const c = chunk.charCodeAt(end - 1);
        if (end < chunk.length && c >= 0xd800 && c <= 0xdbff) end++;
        splitter.write(Buffer.from(chunk.slice(at, end), 'utf8'));
        at = end - PIECE_CHARS;
        const out = splitter.take();
        for (let i = 0; i < out.length; i++) yield out[i];
        // A parser dropped after an error leaves callbacks on Node's nextTick queue, which holds it (and
        // its buffers) until the queue runs; fed from memory, a pipeline of promises never lets it run.
        if (splitter.takeDropped()) await nextMacrotask();
      }
    }
    if (carry !== '') splitter.write(Buffer.from(carry, 'utf8'));
    splitter.end();
    const out = splitter.take();
    for (let i = 0; i < out.length; i++) yield out[i];
  } finally {
    splitter.destroy();
  }
}

/** Synchronous core: bytes in, records out. csv-parse's Transform runs _transform/_flush synchronously. */
class RecordSplitter {
  private out: ParsedRecord[] = [];
  /** Bytes [winBase, winBase + win.length) of the input, from just before `cursor` on. */
  private win: Buffer = EMPTY;
  private winBase = 0;
  /** First byte not yet claimed by a record, and the line it is on. */
  private cursor = 0;
  private line = 1;
  private parser: Parser | null = null;
  /** Input offset of the parser's first byte; csv-parse's `info.bytes` count from there. */
  private parserBase = 0;
  /** Input offset up to which the current parser has been fed. */
  private fedTo = 0;
  /** The cursor's line as the parser counts (from 1; a CRLF inside quotes counts twice). */
  private csvCursorLine = 1;
  private failure: CsvError | null = null;
  /** A record still open past this many bytes is longer than maxChars characters (≤ 3 bytes a UTF-16 unit). */
  private readonly maxBytes: number;
  /** Resynchronising: line breaks still to skip, and whether an LF right after a CR is to be skipped. */
  private skipBreaks = 0;
  private skipLF = false;
  private ended = false;
  private dropped = false;
  private readonly maxChars: number;

  constructor(maxChars: number) {
    if (!(maxChars > 0)) throw new Error(`maxRecordChars must be positive, got ${maxChars}`);
    this.maxChars = maxChars;
    this.maxBytes = maxChars * 3 + 8;
  }

  take(): ParsedRecord[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  write(chunk: Buffer): void {
    // Keep one byte before the cursor so that a CRLF split at the cursor is recognised.
    const keep = Math.max(this.winBase, this.cursor - 1);
    const rest = this.win.subarray(keep - this.winBase);
    this.win = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    this.winBase = keep;
    this.pump();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.pump();
  }

  destroy(): void {
    this.parser?.destroy();
    this.parser = null;
    this.win = EMPTY;
  }

  private get winEnd(): number {
    return this.winBase + this.win.length;
  }

  private pump(): void {
    for (;;) {
      if ((this.skipBreaks > 0 || this.skipLF) && !this.skip()) return;
      if (this.parser === null) this.startParser();
      const parser = this.parser!;
      if (this.fedTo < this.winEnd) {
        const data = this.win.subarray(this.fedTo - this.winBase);
        this.fedTo = this.winEnd;
        // csv-parse builds a CsvError, stack trace and all, for every record whose length differs from
        // the first one's, even with relax_column_count; a file of one-character lines under a long
        // header would spend most of its time capturing stacks nobody reads.
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
          parser.write(data);
        } finally {
          Error.stackTraceLimit = limit;
        }
      }
      if (this.failure === null && this.ended) parser.end(); // _flush runs synchronously
      if (this.failure !== null) this.recover();
      else if (!this.ended && this.winEnd - this.cursor > this.maxBytes && this.openRecordTooLong()) continue;
      else return;
    }
  }

  private options(): Options {
    return {
      // Strict quotes (relax_quotes off): `a,b"c` and `"ab"c` are reported as malformed, not passed on as mangled values.
      relax_quotes: false,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true, // errors go to on_skip, which throws to stop the parser at once
      // Any of CRLF, LF, CR ends a record, as it ends a line in the numbering here: csv-parse would otherwise fix
      // the first one it meets, so that a file with mixed endings (two exports pasted together) has
      // records merged ("a\r\nb\nc" -> ["a"], ["b\nc"]) or a stray CR kept in a cell.
      record_delimiter: ['\r\n', '\n', '\r'],
    };
  }

  private startParser(): void {
    const parser: Parser = parse({
      ...this.options(),
      on_record: (cells, ctx) => {
        if (parser === this.parser && this.failure === null) {
          this.onRecord(cells, ctx.bytes);
          this.csvCursorLine = ctx.lines + 1;
        }
        // The next record is compared with this one, so only a change of length costs an error object (see pump).
        const state = (parser as unknown as { state?: { expectedRecordLength?: number } }).state;
        if (state) state.expectedRecordLength = cells.length;
        return null; // nothing is pushed to the stream's readable side
      },
      on_skip: (err) => {
        if (parser === this.parser && this.failure === null && err !== undefined) this.failure = err;
        throw STOP; // stops the parser; a fresh one resumes after the record
      },
    });
    parser.on('error', noop); // STOP surfaces as a stream error; the parser is dropped anyway
    this.parser = parser;
    this.parserBase = this.cursor;
    this.fedTo = this.cursor;
    this.csvCursorLine = 1;
  }

  private onRecord(cells: string[], bytes: number): void {
    const end = this.parserBase + bytes;
    const { start, line } = this.recordStart(end);
    let chars = cells.length - 1;
    for (let i = 0; i < cells.length; i++) chars += cells[i].length;
    if (chars > this.maxChars) {
      this.malformed(line, start, end, 'E_ROW_TOO_LONG', `超过 ${this.maxChars} 个字符（${chars}）`, `more than ${this.maxChars} characters: ${chars}`);
    } else if (this.win.subarray(start - this.winBase, end - this.winBase).indexOf(REPLACEMENT) >= 0) {
      const col = cells.findIndex((c) => c.includes('\ufffd')) + 1;
      this.malformed(line, start, end, 'E_ROW_INVALID_BYTES', `第${col}列`, `column ${col}`);
    } else {
      this.out.push({ kind: 'row', row: { line, cells } });
    }
    this.cursor = end;
    this.line = line + this.countBreaks(start, end);
  }

  /** Skip the blank lines between the cursor and the record's first byte (at most to `end`). */
  private recordStart(end = this.winEnd): { start: number; line: number } {
    const w = this.win;
    const stop = end - this.winBase;
    let i = this.cursor - this.winBase;
    let line = this.line;
    for (; i < stop; i++) {
      const c = w[i];
      if (c === CR) line++;
      else if (c === LF) {
        if (i === 0 || w[i - 1] !== CR) line++;
      } else break;
    }
    return { start: this.winBase + i, line };
  }

  /** Line breaks (CRLF, CR or LF) in [from, to). */
  private countBreaks(from: number, to: number): number {
    const w = this.win;
    const a = from - this.winBase;
    const b = to - this.winBase;
    const seg = w.subarray(a, b);
    let n = 0;
    for (let i = seg.indexOf(CR); i >= 0; i = seg.indexOf(CR, i + 1)) n++;
    for (let i = seg.indexOf(LF); i >= 0; i = seg.indexOf(LF, i + 1)) {
      const prev = i > 0 ? seg[i - 1] : a > 0 ? w[a - 1] : -1;
      if (prev !== CR) n++;
    }
    return n;
  }

  /** Offset just after the n-th line break from `from` (a CRLF counts once), or -1 if the window ends first. */
  private afterBreaks(from: number, n: number): number {
    const w = this.win;
    let i = from - this.winBase;
    while (n > 0 && i < w.length) {
      const c = w[i++];
      if (c === CR) {
        n--;
        if (w[i] === LF) i++;
      } else if (c === LF) n--;
    }
    return n === 0 ? this.winBase + i : -1;
  }

  private malformed(line: number, start: number, end: number, code: IssueCode, detail: string, detailEn?: string): void {
    this.out.push({ kind: 'malformed', row: { line, raw: this.rawText(start, end), code, detail, detailEn } });
  }

  /** The record's text, without its final line break, cut to RAW_MAX_CHARS characters. */
  private rawText(start: number, end: number): string {
    const stop = Math.min(end, start + RAW_MAX_CHARS * 3 + 3, this.winEnd);
    let s = this.win.toString('utf8', start - this.winBase, stop - this.winBase);
    if (s.length > RAW_MAX_CHARS) return s.slice(0, RAW_MAX_CHARS);
    let k = s.length;
    while (k > 0 && (s.charCodeAt(k - 1) === LF || s.charCodeAt(k - 1) === CR)) k--;
    if (k < s.length) s = s.slice(0, k);
    return s;
  }

  /**
   * The parser stopped on a record it cannot read. Report the record and resume on a later line:
   *  - a quote inside an unquoted field: the damage is local, resume after the line of the error;
   *  - a quote never closed, or closed and followed by other characters: if the record runs over
   *    several lines, the quote that opened it most likely was not meant to, so only the record's
   *    first line is given up and parsing resumes on the next one.
   */
  private recover(): void {
    const err = this.failure!;
    this.failure = null;
    this.dropParser();
    const { start, line } = this.recordStart();
    // Still on the record's first line? The parser's own count says so exactly when it has not moved
    // (it counts no line break that is not there), which spares the second parse of locate().
    const firstLine = err.lines === this.csvCursorLine + (line - this.line);
    const col = typeof err.column === 'number' ? err.column + 1 : null;
    const colZh = col === null ? '' : `第${col}列：`;
    const colEn = col === null ? '' : `column ${col}: `;
    const unclosed = [`${colZh}引号未闭合`, `${colEn}a quote is never closed`] as const;
    let detail: readonly [string, string];
    let breaks = 1;
    switch (err.code) {
      case 'INVALID_OPENING_QUOTE':
        if (!firstLine) breaks = this.countBreaks(start, this.locate(start)) + 1;
        detail = [`${colZh}未加引号的字段中出现引号`, `${colEn}a quote inside an unquoted field`];
        break;
      case 'CSV_INVALID_CLOSING_QUOTE':
        detail = firstLine
          ? [`${colZh}引号后紧跟其他字符，应为逗号或换行`, `${colEn}a closing quote is followed by other characters instead of a comma or line end`]
          : unclosed;
        break;
      case 'CSV_QUOTE_NOT_CLOSED':
        detail = unclosed;
        break;
      default:
        detail = [`${colZh}无法解析`, err.message];
    }
    this.giveUp(start, line, breaks, 'E_ROW_MALFORMED', ...detail);
  }

  /**
   * Parse the failed record (whose first byte is at `start`) again, alone and with `raw` on, to find
   * the offset just after the character csv-parse stopped at: its errors carry no offset, and their
   * `lines` is off after a CRLF inside quotes.
   */
  private locate(start: number): number {
    let raw = '';
    try {
      // The sync API takes the data as the whole input: the record's own error comes first.
      parseSync(this.win.subarray(start - this.winBase), {
        ...this.options(),
        raw: true,
        on_record: () => null,
        on_skip: (_err, r) => {
          raw = r ?? '';
          throw STOP;
        },
      });
    } catch {
      // STOP
    }
    return Math.min(start + Buffer.byteLength(raw), this.winEnd);
  }

  /** The record being read is already longer than the limit: give up its first line and resume after it. */
  private openRecordTooLong(): boolean {
    const { start, line } = this.recordStart();
    if (this.winEnd - start <= this.maxBytes) {
      // only blank lines so far: let the window forget them
      this.cursor = start;
      this.line = line;
      return false;
    }
    this.dropParser();
    const lineEnd = this.afterBreaks(start, 1);
    let quotes = 0;
    if (lineEnd >= 0) {
      const seg = this.win.subarray(start - this.winBase, lineEnd - this.winBase);
      for (let i = seg.indexOf(0x22); i >= 0; i = seg.indexOf(0x22, i + 1)) quotes++;
    }
    const detail: readonly [string, string] =
      quotes % 2 === 1
        ? [`超过 ${this.maxChars} 个字符：该行的引号未闭合，其后各行被并入该记录`, `more than ${this.maxChars} characters: a quote on this line is never closed, so the lines after it ran into the record`]
        : [`超过 ${this.maxChars} 个字符`, `more than ${this.maxChars} characters`];
    this.giveUp(start, line, 1, 'E_ROW_TOO_LONG', ...detail);
    return true;
  }

  /** Report the record at `start` as malformed, from there to its `breaks`-th line break, and skip that far. */
  private giveUp(start: number, line: number, breaks: number, code: IssueCode, detail: string, detailEn?: string): void {
    const lineEnd = this.afterBreaks(start, breaks);
    this.malformed(line, start, lineEnd < 0 ? this.winEnd : lineEnd, code, detail, detailEn);
    this.cursor = start;
    this.line = line;
    this.skipBreaks = breaks;
  }

  private dropParser(): void {
    this.parser?.destroy();
    this.parser = null;
    this.dropped = true;
  }

  /** Whether a parser was dropped since the last call. */
  takeDropped(): boolean {
    const d = this.dropped;
    this.dropped = false;
    return d;
  }

  /** Move the cursor past `skipBreaks` line breaks; false when more input is needed. */
  private skip(): boolean {
    const w = this.win;
    while (this.skipBreaks > 0 || this.skipLF) {
      let i = this.cursor - this.winBase;
      if (this.skipLF) {
        if (i >= w.length) {
          if (!this.ended) return false;
          this.skipLF = false;
          break;
        }
        if (w[i] === LF) this.cursor++;
        this.skipLF = false;
        continue;
      }
      while (i < w.length && w[i] !== CR && w[i] !== LF) i++;
      if (i >= w.length) {
        this.cursor = this.winEnd;
        if (!this.ended) return false;
        this.skipBreaks = 0;
        break;
      }
      this.cursor = this.winBase + i + 1;
      this.line++;
      this.skipBreaks--;
      this.skipLF = w[i] === CR;
    }
    this.parser = null;
    return true;
  }
}
