// Composes the stages over one delivered file: bytes -> decode -> parse -> map headers -> per row
// (normalise, validate, provenance) -> sink. Memory stays flat: rows stream through and only the
// first issues and warnings are kept for the report (the sink keeps every rejected row).
import { createHash } from 'node:crypto';
import type { CategorySpec, ProviderUnit } from '../schemas/registry.ts';
import { makeIssue } from './issues.ts';
import { processRow } from './process-row.ts';
import { createDecoder, detectEncoding, UnsupportedEncodingError, type Encoding } from './stages/decode.ts';
import { mapHeaders } from './stages/map-headers.ts';
import { parseCsv } from './stages/parse-csv.ts';
import type { BatchCounts, CreditRecord, HeaderMap, RowIssue } from './types.ts';

export const REPORT_ISSUE_LIMIT = 100;
const DETECT_SAMPLE_BYTES = 1 << 20;

export interface IngestRequest {
  readonly batchId: string;
  readonly category: CategorySpec;
  readonly deliverer: ProviderUnit;
  readonly fileName: string;
  readonly encoding: Encoding | 'auto';
  readonly receivedAt: string;
  readonly maxRejectRatio?: number;
  readonly maxRejects?: number;
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
}

/** Where a batch's rows go: the store's batch transaction in production. */
export interface BatchSink {
  write(record: CreditRecord): Promise<void>;
  reject(line: number, cells: readonly string[], issues: readonly RowIssue[]): Promise<void>;
  commit(close: SinkClose): Promise<Pick<BatchCounts, 'inserted' | 'updated' | 'unchanged' | 'duplicates'>>;
  fail(error: Error, close: Partial<SinkClose>): Promise<void>;
}

export interface Progress {
  readonly bytes: number;
  readonly rows: number;
}

export interface BatchReport extends BatchCounts {
  readonly batchId: string;
  readonly status: 'loaded' | 'refused' | 'failed';
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
}

/** Tracks hash, size and encoding of the bytes as they stream past, and yields decoded text. */
class ByteReader {
  sha256 = createHash('sha256');
  size = 0;
  encoding: Encoding | null = null;

  constructor(private readonly requested: Encoding | 'auto') {}

  async *text(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
    const it = bytes[Symbol.asyncIterator]();
    const head: Uint8Array[] = [];
    let headSize = 0;
    let ended = false;
    while (headSize < DETECT_SAMPLE_BYTES) {
      const n = await it.next();
      if (n.done) {
        ended = true;
        break;
      }
      this.take(n.value);
      head.push(n.value);
      headSize += n.value.length;
    }
    const sample = Buffer.concat(head);
    const detected = detectEncoding(sample, ended);
    this.encoding = this.requested === 'auto' ? detected.encoding : this.requested;
    const decode = createDecoder(this.encoding);
    if (sample.length) yield decode(sample);
    while (!ended) {
      const n = await it.next();
      if (n.done) break;
      this.take(n.value);
      yield decode(n.value);
    }
    const rest = decode(null);
    if (rest) yield rest;
  }

  /** Reads what is left, so the registry's hash and size describe the whole file. */
  async drain(bytes: AsyncIterable<Uint8Array>): Promise<void> {
    for await (const b of bytes) this.take(b);
  }

  private take(b: Uint8Array) {
    this.sha256.update(b);
    this.size += b.length;
  }
}

export async function runBatch(
  bytes: AsyncIterable<Uint8Array>,
  req: IngestRequest,
  deps: { sink: BatchSink; onProgress?: (p: Progress) => void },
): Promise<BatchReport> {
  const started = Date.now();
  const { sink } = deps;
  const reader = new ByteReader(req.encoding);
  const spec = req.category;
  const stamp = { batchId: req.batchId, deliverer: req.deliverer, receivedAt: req.receivedAt };
  const issues: RowIssue[] = [];
  const warnings: RowIssue[] = [];
  let warningCount = 0;
  let read = 0;
  let accepted = 0;
  let rejected = 0;
  let header: HeaderMap | null = null;
  let refusal: RowIssue | null = null;
  const warn = (ws: readonly RowIssue[]) => {
    warningCount += ws.length;
    for (const w of ws) if (warnings.length < REPORT_ISSUE_LIMIT) warnings.push(w);
  };
  const rejectRow = async (line: number, cells: readonly string[], rowIssues: readonly RowIssue[]) => {
    rejected++;
    for (const i of rowIssues) if (issues.length < REPORT_ISSUE_LIMIT) issues.push(i);
    await sink.reject(line, cells, rowIssues);
  };
  const closeOf = (): SinkClose => ({
    sha256: reader.sha256.copy().digest('hex'), sizeBytes: reader.size, encoding: reader.encoding,
    headers: header?.headers ?? [], read, accepted, rejected, warningCount, warnings, refusal,
  });

  try {
    const source = bytes[Symbol.asyncIterator]();
    const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => source };
    try {
      for await (const rec of parseCsv(reader.text(rest))) {
        if (header === null) {
          if (rec.kind === 'malformed') {
            refusal = makeIssue('R_HEADER_UNREADABLE', { line: rec.row.line, detail: rec.row.detail });
            break;
          }
          const mapped = mapHeaders(spec, rec.row.cells);
          header = mapped.map;
          warn(mapped.warnings);
          if (mapped.refusal) {
            refusal = mapped.refusal;
            break;
          }
          continue;
        }
        if (rec.kind === 'malformed') {
          read++;
          await rejectRow(rec.row.line, [rec.row.raw], [makeIssue(rec.row.code, { line: rec.row.line, detail: rec.row.detail })]);
        } else {
          const out = processRow(spec, header, rec.row, stamp);
          if (out.kind === 'blank') {
            warn([makeIssue('W_BLANK_ROW', { line: rec.row.line })]);
            continue;
          }
          read++;
          warn(out.warnings);
          if (out.kind === 'accepted') {
            accepted++;
            await sink.write(out.record);
          } else {
            await rejectRow(rec.row.line, rec.row.cells, out.issues);
          }
        }
        if (read % 10_000 === 0) deps.onProgress?.({ bytes: reader.size, rows: read });
      }
    } catch (e) {
      if (!(e instanceof UnsupportedEncodingError)) throw e;
      refusal = makeIssue('R_ENCODING_UNSUPPORTED', { line: null, detail: e.message });
    }
    if (header === null && refusal === null) refusal = makeIssue('R_EMPTY_FILE', { line: null });
    if (refusal) await reader.drain(rest);
    refusal ??= budgetRefusal(read, rejected, req);
    deps.onProgress?.({ bytes: reader.size, rows: read });
    const close = closeOf();
    const counts = await sink.commit(close);
    return report(req, close, { read, accepted, rejected, ...counts }, refusal ? 'refused' : 'loaded', issues, started);
  } catch (e) {
    const err = e as Error;
    const close = closeOf();
    await sink.fail(err, close);
    return { ...report(req, close, { read, accepted, rejected, inserted: 0, updated: 0, unchanged: 0, duplicates: 0 }, 'failed', issues, started), error: err.message };
  }
}

export function budgetRefusal(read: number, rejected: number, budget: { maxRejectRatio?: number; maxRejects?: number }): RowIssue | null {
  const overCount = budget.maxRejects !== undefined && rejected > budget.maxRejects;
  const overRatio = budget.maxRejectRatio !== undefined && read > 0 && rejected / read > budget.maxRejectRatio;
  if (!overCount && !overRatio) return null;
  const limits = [budget.maxRejects !== undefined ? `max ${budget.maxRejects}` : '', budget.maxRejectRatio !== undefined ? `max ratio ${budget.maxRejectRatio}` : ''].filter(Boolean).join(', ');
  return makeIssue('R_OVER_BUDGET', { line: null, detail: `${rejected}/${read} rejected; ${limits}` });
}

function report(req: IngestRequest, close: SinkClose, counts: BatchCounts, status: BatchReport['status'], issues: RowIssue[], started: number): BatchReport {
  return {
    batchId: req.batchId, status, category: req.category.id, fileName: req.fileName, deliveredBy: req.deliverer.name,
    encoding: close.encoding, sha256: close.sha256, sizeBytes: close.sizeBytes, refusal: close.refusal,
    ...counts, issues, warnings: close.warnings, warningCount: close.warningCount, durationMs: Date.now() - started,
  };
}
