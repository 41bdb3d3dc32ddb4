// Composes the stages over one delivered file: bytes -> decode -> parse -> map headers -> per row
// (normalise, validate, provenance) -> sink. Memory stays flat: rows stream through and only the
// first issues and warnings are kept for the report (the sink keeps every rejected row).
import { createHash } from 'node:crypto';
import type { CategorySpec, ProviderUnit } from '../schemas/registry.ts';
import { makeIssue } from './issues.ts';
import type { KnownRows } from './known-rows.ts';
import { DEFAULT_LIMITS, FileTooLargeError, type IngestLimits } from './limits.ts';
import { finishRow, processRow } from './process-row.ts';
import { createDecoder, detectEncoding, UnsupportedEncodingError, type Encoding } from './stages/decode.ts';
import { mapHeaders } from './stages/map-headers.ts';
import { parseCsv } from './stages/parse-csv.ts';
import { WorkbookError } from './stages/read-xlsx.ts';
import type { BatchCounts, BatchOutcome, CreditRecord, HeaderMap, ParsedRecord, RowIssue, BatchInput, KnownRow } from './types.ts';

export const REPORT_ISSUE_LIMIT = 100;
const PROGRESS_EVERY_ROWS = 2_000;
const DETECT_SAMPLE_BYTES = 1 << 20;

export interface IngestRequest {
  readonly batchId: string;
  readonly category: CategorySpec;
  readonly deliverer: ProviderUnit;
  readonly fileName: string;
  readonly receivedAt: string;
  readonly maxRejectRatio?: number;
  readonly maxRejects?: number;
  readonly maxColumns?: number;
  /** The batch this one corrects (its rejected rows at the lines loaded here become resolved). */
  readonly corrects?: string;
}

export interface SinkClose {
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly encoding: string | null;
  readonly headers: readonly string[];
  readonly read: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly warningCount: number;
  readonly warnings: readonly RowIssue[];
  readonly refusal: RowIssue | null;
  /**
   * Collected when the batch names a batch it corrects or is a corrected rejection report (has 行号):
   * for each loaded row, the line of the original batch it corrects (its 行号, or its own line when
   * the whole file is resubmitted) and its own line.
   */
  readonly corrections?: { readonly fromReport: boolean; readonly lines: readonly (readonly [number, number])[] };
}

/** Where a batch's rows go: the store's batch transaction in production. */
export interface BatchSink {
  write(record: CreditRecord): Promise<void>;
  reject(line: number, cells: readonly string[], issues: readonly RowIssue[]): Promise<void>;
  /** A known row (pipelines/known-rows.ts) left out: the record of that slot, unchanged. */
  unchanged(slot: number): Promise<void>;
  /** The counts of what the load did, and how long its phases took (milliseconds by name, for the report). */
  commit(close: SinkClose): Promise<Pick<BatchCounts, 'inserted' | 'updated' | 'unchanged' | 'duplicates'> & Pick<BatchReport, 'phases'>>;
  fail(error: Error, close: Partial<SinkClose>): Promise<void>;
}

export interface Progress {
  readonly bytes: number;
  readonly rows: number;
}

export interface BatchReport extends BatchCounts {
  readonly batchId: string;
  readonly status: BatchOutcome;
  readonly category: string;
  readonly fileName: string;
  readonly deliveredBy: string;
  readonly encoding: string | null;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly refusal: RowIssue | null;
  /** Problems of rejected rows, first REPORT_ISSUE_LIMIT. */
  readonly issues: readonly RowIssue[];
  readonly warnings: readonly RowIssue[];
  readonly warningCount: number;
  readonly error?: string;
  readonly durationMs: number;
  /** Where the time went, as the sink measured it (milliseconds by phase). */
  readonly phases?: Readonly<Record<string, number>>;
  /**
   * Rows recognised by their fingerprint as records the store holds unchanged, and left out unchecked
   * (pipelines/known-rows.ts), and the warnings they gave when first checked: counted in warningCount,
   * not listed again.
   */
  readonly recognised?: { readonly rows: number; readonly warnings: number };
}

/**
 * Where a batch's records come from: a delivered CSV file, or the rows a connector fetched. It
 * describes what it has read (fingerprint, size, encoding) for the batch registry.
 */
export interface RecordSource<R extends BatchInput = BatchInput> {
  /** The header record first, then the data records. Throws UnsupportedEncodingError for an unreadable file. */
  readonly records: AsyncIterable<R>;
  describe(): { sha256: string; sizeBytes: number; encoding: string | null };
  /** What describe() says without the fingerprint, which costs a hash digest: for progress reports. */
  progress(): { sizeBytes: number; encoding: string | null };
  /** Reads what is left after an early refusal, so the fingerprint covers the whole delivery. */
  drain(): Promise<void>;
}

/** A delivered file: bytes -> decode -> parse. Hash, size and encoding are taken as the bytes stream past. */
export function csvSource(bytes: AsyncIterable<Uint8Array>, requested: Encoding | 'auto', limits: IngestLimits = DEFAULT_LIMITS): RecordSource<ParsedRecord> {
  const sha256 = createHash('sha256');
  let size = 0;
  let encoding: Encoding | null = null;
  const source = bytes[Symbol.asyncIterator]();
  /**
   * Counts and fingerprints a chunk. Past the size limit only the bytes up to it go on, so the records
   * before the limit are still read and the refusal names the line the limit falls on.
   */
  const take = (b: Uint8Array): { allowed: Uint8Array; over: boolean } => {
    sha256.update(b);
    size += b.length;
    if (size <= limits.maxFileBytes) return { allowed: b, over: false };
    return { allowed: b.subarray(0, Math.max(0, b.length - (size - limits.maxFileBytes))), over: true };
  };
  async function* text(): AsyncGenerator<string> {
    const head: Uint8Array[] = [];
    let headSize = 0;
    let ended = false;
    let over = false;
    while (headSize < DETECT_SAMPLE_BYTES && !over) {
      const n = await source.next();
      if (n.done) {
        ended = true;
        break;
      }
      const t = take(n.value);
      over = t.over;
      head.push(t.allowed);
      headSize += t.allowed.length;
    }
    const sample = Buffer.concat(head);
    const detected = detectEncoding(sample, ended);
    encoding = requested === 'auto' ? detected.encoding : requested;
    const decode = createDecoder(encoding);
    if (sample.length) yield decode(sample);
    while (!ended && !over) {
      const n = await source.next();
      if (n.done) break;
      const t = take(n.value);
      over = t.over;
      yield decode(t.allowed);
    }
    if (over) throw new FileTooLargeError(limits.maxFileBytes);
    const rest = decode(null);
    if (rest) yield rest;
  }
  return {
    records: parseCsv(text(), { maxRecordChars: limits.maxRecordChars }),
    describe: () => ({ sha256: sha256.copy().digest('hex'), sizeBytes: size, encoding }),
    progress: () => ({ sizeBytes: size, encoding }),
    drain: async () => {
      for (let n = await source.next(); !n.done; n = await source.next()) take(n.value);
    },
  };
}

/**
 * Rows a connector fetched, keyed by schema field key (after the source's field mapping): they take
 * the same path as a file's rows, with the keys as the header. Line n is the n-th row + 1, as if the
 * rows were a CSV file under that header. The fingerprint is the SHA-256 of the rows as JSON.
 */
export function rowsSource(keys: readonly string[], rows: AsyncIterable<Readonly<Record<string, unknown>>>): RecordSource<ParsedRecord> {
  const sha256 = createHash('sha256');
  let size = 0;
  const cell = (v: unknown): string => (v === null || v === undefined ? '' : Array.isArray(v) ? v.join('、') : String(v));
  async function* records(): AsyncGenerator<ParsedRecord> {
    yield { kind: 'row', row: { line: 1, cells: keys } };
    let line = 1;
    for await (const r of rows) {
      const json = JSON.stringify(r);
      sha256.update(json);
      size += json.length;
      yield { kind: 'row', row: { line: ++line, cells: keys.map((k) => cell(r[k])) } };
    }
  }
  return {
    records: records(),
    describe: () => ({ sha256: sha256.copy().digest('hex'), sizeBytes: size, encoding: null }),
    progress: () => ({ sizeBytes: size, encoding: null }),
    drain: async () => undefined,
  };
}

export async function runBatch(
  source: RecordSource,
  req: IngestRequest,
  deps: { sink: BatchSink; onProgress?: (p: Progress) => void; known?: KnownRows },
): Promise<BatchReport> {
  const started = Date.now();
  const { sink } = deps;
  const spec = req.category;
  const stamp = { batchId: req.batchId, deliverer: req.deliverer, receivedAt: req.receivedAt };
  const issues: RowIssue[] = [];
  const warnings: RowIssue[] = [];
  let warningCount = 0;
  const recognised = { rows: 0, warnings: 0 };
  let read = 0;
  let accepted = 0;
  let rejected = 0;
  let header: HeaderMap | null = null;
  let lastLine = 0;
  let refusal: RowIssue | null = null;
  let corrected: [number, number][] | undefined;
  const warn = (ws: readonly RowIssue[]) => {
    warningCount += ws.length;
    for (const w of ws) if (warnings.length < REPORT_ISSUE_LIMIT) warnings.push(w);
  };
  const rejectRow = async (line: number, cells: readonly string[], rowIssues: readonly RowIssue[]) => {
    rejected++;
    for (const i of rowIssues) if (issues.length < REPORT_ISSUE_LIMIT) issues.push(i);
    await sink.reject(line, cells, rowIssues);
  };
  const tick = () => {
    if (read % PROGRESS_EVERY_ROWS === 0) deps.onProgress?.({ bytes: source.progress().sizeBytes, rows: read });
  };
  const closeOf = (): SinkClose => ({
    ...source.describe(),
    headers: header?.headers ?? [], read, accepted, rejected, warningCount, warnings, refusal,
    ...(corrected ? { corrections: { fromReport: header?.reportLine !== undefined, lines: corrected } } : {}),
  });

  try {
    try {
      for await (const input of source.records) {
        let rec: Exclude<BatchInput, KnownRow>;
        if (input.kind === 'known') {
          // Found by the header, so only after it. Left out, unless an earlier line wrote its key:
          // then it is read like any row, so that the later line wins.
          if (!deps.known!.mayConflict(input.slot)) {
            read++;
            accepted++;
            const given = deps.known!.warningsOf(input.slot);
            recognised.rows++;
            recognised.warnings += given;
            warningCount += given;
            lastLine = input.line;
            if (header!.reportLine === undefined) corrected?.push([input.line, input.line]);
            await sink.unchanged(input.slot);
            tick();
            continue;
          }
          rec = { kind: 'row', row: { line: input.line, cells: input.cells.split('\u0000') } };
        } else rec = input;
        if (header === null) {
          const h = readHeader(spec, rec, req.maxColumns ?? DEFAULT_LIMITS.maxColumns, source.progress().encoding);
          if (!h) continue;
          header = h.map;
          if (req.corrects !== undefined || header?.reportLine !== undefined) corrected = [];
          warn(h.warnings);
          if (h.refusal) {
            refusal = h.refusal;
            break;
          }
          continue;
        }
        lastLine = rec.row.line;
        if (rec.kind === 'malformed') {
          read++;
          await rejectRow(rec.row.line, [rec.row.raw], [makeIssue(rec.row.code, { line: rec.row.line, detail: rec.row.detail, detailEn: rec.row.detailEn })]);
        } else {
          const out = rec.kind === 'checked' ? finishRow(spec, rec.checked, rec.row.line, stamp) : processRow(spec, header, rec.row, stamp);
          if (out.kind === 'blank') {
            warn([makeIssue('W_BLANK_ROW', { line: rec.row.line })]);
            continue;
          }
          read++;
          warn(out.warnings);
          if (out.kind === 'accepted') {
            accepted++;
            // a row added to a corrected report (no 行号) corrects nothing in particular
            const original = out.corrects ?? (header.reportLine === undefined ? rec.row.line : undefined);
            if (original !== undefined) corrected?.push([original, rec.row.line]);
            deps.known?.wrote(out.record.naturalKey);
            await sink.write(out.record);
          } else {
            await rejectRow(rec.row.line, rec.row.cells, out.issues);
          }
        }
        tick();
      }
    } catch (e) {
      if (e instanceof UnsupportedEncodingError) refusal = makeIssue('R_ENCODING_UNSUPPORTED', { line: null, detail: e.zh, detailEn: e.en });
      else if (e instanceof WorkbookError) refusal = makeIssue(e.issueCode, { line: null, detail: e.message, detailEn: e.detailEn });
      else if (e instanceof FileTooLargeError) refusal = makeIssue('R_FILE_TOO_LARGE', { line: lastLine + 1, detail: `超过 ${e.limitBytes} 字节，在第 ${lastLine + 1} 行`, detailEn: `> ${e.limitBytes} bytes, at line ${lastLine + 1}` });
      else throw e;
    }
    if (header === null && refusal === null) refusal = makeIssue('R_EMPTY_FILE', { line: null });
    // The registry's fingerprint covers the whole delivery, unless the delivery is too big to read.
    if (refusal && refusal.code !== 'R_FILE_TOO_LARGE') await source.drain();
    refusal ??= budgetRefusal(read, rejected, req);
    deps.onProgress?.({ bytes: source.progress().sizeBytes, rows: read });
    const close = closeOf();
    const counts = await sink.commit(close);
    return report(req, close, { read, accepted, rejected, ...counts, ...(recognised.rows > 0 && !refusal ? { recognised } : {}) }, refusal ? 'refused' : 'loaded', issues, started);
  } catch (e) {
    const err = e as Error;
    const close = closeOf();
    await sink.fail(err, close);
    return { ...report(req, close, { read, accepted, rejected, inserted: 0, updated: 0, unchanged: 0, duplicates: 0 }, 'failed', issues, started), error: err.message };
  }
}

export interface HeaderOutcome {
  /** null when the header could not be read at all */
  readonly map: HeaderMap | null;
  readonly warnings: readonly RowIssue[];
  readonly refusal: RowIssue | null;
}

/**
 * The first record -> the column map, or the refusal of the whole batch; null for a line of nothing
 * but spaces (as blank lines are, it is skipped: the header may still follow, or the file is empty).
 */
export function readHeader(spec: CategorySpec, rec: Exclude<BatchInput, KnownRow>, maxColumns: number, encoding: string | null): HeaderOutcome | null {
  if (rec.kind === 'malformed') {
    // Bytes invalid in the detected encoding: say so (a file mixing UTF-8 and GBK gets here).
    const bytes = rec.row.code === 'E_ROW_INVALID_BYTES';
    const detail = bytes ? `${rec.row.detail}：含有按 ${encoding} 编码无法识别的字节，文件可能混用了 UTF-8 和 GBK 编码` : rec.row.detail;
    const detailEn = bytes ? `${rec.row.detailEn ?? rec.row.detail}: bytes that are not valid ${encoding}; the file may mix UTF-8 and GBK` : rec.row.detailEn;
    return { map: null, warnings: [], refusal: makeIssue('R_HEADER_UNREADABLE', { line: rec.row.line, detail, detailEn }) };
  }
  if (rec.row.cells.every((c) => c.trim() === '')) return null;
  if (rec.row.cells.length > maxColumns) {
    return { map: null, warnings: [], refusal: makeIssue('R_TOO_MANY_COLUMNS', { line: 1, detail: `${rec.row.cells.length} > ${maxColumns}` }) };
  }
  return mapHeaders(spec, rec.row.cells);
}

export function budgetRefusal(read: number, rejected: number, budget: { maxRejectRatio?: number; maxRejects?: number }): RowIssue | null {
  const overCount = budget.maxRejects !== undefined && rejected > budget.maxRejects;
  const overRatio = budget.maxRejectRatio !== undefined && read > 0 && rejected / read > budget.maxRejectRatio;
  if (!overCount && !overRatio) return null;
  const zh = [budget.maxRejects !== undefined ? `上限 ${budget.maxRejects} 行` : '', budget.maxRejectRatio !== undefined ? `比例上限 ${budget.maxRejectRatio}` : ''].filter(Boolean).join('，');
  const en = [budget.maxRejects !== undefined ? `max ${budget.maxRejects}` : '', budget.maxRejectRatio !== undefined ? `max ratio ${budget.maxRejectRatio}` : ''].filter(Boolean).join(', ');
  return makeIssue('R_OVER_BUDGET', { line: null, detail: `${read} 行中 ${rejected} 行有错；${zh}`, detailEn: `${rejected}/${read} rejected; ${en}` });
}

function report(req: IngestRequest, close: SinkClose, counts: BatchCounts & Pick<BatchReport, 'phases' | 'recognised'>, status: BatchReport['status'], issues: RowIssue[], started: number): BatchReport {
  return {
    batchId: req.batchId, status, category: req.category.id, fileName: req.fileName, deliveredBy: req.deliverer.name,
    encoding: close.encoding, sha256: close.sha256, sizeBytes: close.sizeBytes, refusal: close.refusal,
    ...counts, issues, warnings: close.warnings, warningCount: close.warningCount, durationMs: Date.now() - started,
  };
}
