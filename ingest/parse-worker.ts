// Worker thread: decodes and parses a file, and checks rows (normalise, validate, source unit)
// whenever the main thread, which stamps and loads them (ingest/worker-source.ts), has a backlog.
// A row whose fingerprint the batch's known set holds (pipelines/known-rows.ts) is not checked at
// all: it goes as `known`.
// Records cross in batches, at most MAX_IN_FLIGHT batches ahead of the main thread, so memory
// stays flat whichever side is slower. With several such threads on one file, each reads and splits
// the whole file (cheap: a few µs a row) but checks and sends only its share of the batches, every
// `of`-th from `index`, so they need no channel between them and the batches and their line numbers
// are the same whichever thread sends them.
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { failpoint } from '../lib/failpoints.ts';
import type { IngestLimits } from '../pipelines/limits.ts';
import { KnownSet } from '../pipelines/known-rows.ts';
import { checkRow } from '../pipelines/process-row.ts';
import { csvSource, readHeader } from '../pipelines/run-batch.ts';
import type { Encoding } from '../pipelines/stages/decode.ts';
import { readingOf, sourceHash } from '../pipelines/stages/source-hash.ts';
import type { HeaderMap, BatchInput, ParsedRecord, SourceRow } from '../pipelines/types.ts';
import { category, type CategoryId, type ProviderUnit } from '../schemas/registry.ts';

export interface ParseWorkerData {
  readonly file: string;
  readonly encoding: Encoding | 'auto';
  readonly limits: IngestLimits;
  /**
   * Rows are checked here when given, whenever at least `backlog` batches (default 2) wait on the
   * main thread; otherwise they go to the main thread as parsed.
   */
  readonly check?: {
    readonly category: CategoryId; readonly deliverer: ProviderUnit; readonly backlog?: number;
    /** The batch's KnownSet (pipelines/known-rows.ts): rows found in it are sent as `known`, unchecked. */
    readonly known?: SharedArrayBuffer;
  };
  /** This thread's share of the batches: those whose number modulo `of` is `index` (default all). */
  readonly share?: { readonly index: number; readonly of: number };
}

export interface Described {
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly encoding: string | null;
}

export type FromParser =
  | { type: 'records'; records: BatchInput[]; sizeBytes: number; encoding: string | null }
  | { type: 'end'; described: Described }
  | { type: 'drained'; described: Described }
  | { type: 'error'; code?: string; message: string; limitBytes?: number; zh?: string; en?: string };

export type ToParser = { type: 'ack' } | { type: 'drain' };

const MAX_IN_FLIGHT = 8;
const BATCH = 500;

const port = parentPort!;
const d = workerData as ParseWorkerData;
const source = csvSource(createReadStream(d.file, { highWaterMark: 256 * 1024 }), d.encoding, d.limits);
let credits = MAX_IN_FLIGHT;
let draining = false;
let wake: (() => void) | undefined;

port.on('message', (m: ToParser) => {
  if (m.type === 'ack') credits++;
  else draining = true;
  wake?.();
});

async function send(records: BatchInput[]): Promise<void> {
  while (credits === 0 && !draining) await new Promise<void>((resolve) => (wake = resolve));
  if (draining) return;
  credits--;
  const { sizeBytes, encoding } = source.progress();
  port.postMessage({ type: 'records', records, sizeBytes, encoding } satisfies FromParser);
}

const spec = d.check && category(d.check.category);
const backlog = d.check?.backlog ?? 2;
/** undefined until the header is read; null when it refuses the batch (the main thread says why). */
let header: HeaderMap | null | undefined;

function checked(row: SourceRow, map: HeaderMap): BatchInput {
  const c = checkRow(spec!, map, row, d.check!.deliverer);
  return { kind: 'checked', row: c.kind === 'rejected' ? row : { line: row.line, cells: [] }, checked: c };
}

const known = d.check?.known && new KnownSet(d.check.known);
/** The file's reading (pipelines/stages/source-hash.ts) once its header is read; null: no row is looked for in `known`. */
let reading: string | null = null;

/** A row as it goes to the main thread: known (left out unchecked), checked here, or as parsed. */
function prepared(rec: ParsedRecord): BatchInput {
  if (!header || rec.kind !== 'row') return rec;
  if (reading !== null) {
    const h = sourceHash(reading, rec.row.cells);
    const slot = known!.find(h.hi, h.lo);
    if (slot >= 0) return { kind: 'known', line: rec.row.line, slot, cells: rec.row.cells.join('\u0000') };
  }
  // Work sharing: rows are checked here only while the main thread has a backlog; when it is
  // waiting for rows it gets them parsed and checks them itself. Either way the same functions
  // decide, so the outcome does not depend on the split, and both cores stay busy.
  return MAX_IN_FLIGHT - credits >= backlog ? checked(rec.row, header) : rec;
}

const share = d.share ?? { index: 0, of: 1 };
/** The batch being filled, by number and size; another thread's batches are counted, not kept. */
let batchNo = 0;
let filled = 0;
const ours = () => batchNo % share.of === share.index;

let batch: BatchInput[] = [];
try {
  for await (const rec of source.records) {
    if (spec && header === undefined) {
      // The main thread reads the same header with the same function; it gets the record as parsed.
      const h = readHeader(spec, rec, d.limits.maxColumns, source.progress().encoding);
      if (h) header = h.refusal ? null : h.map;
      // a corrected rejection report's rows name the line they correct (行号): each is read in full
      if (header && known && header.reportLine === undefined) reading = readingOf(spec, header, d.check!.deliverer);
      if (ours()) batch.push(rec);
    } else if (ours()) batch.push(prepared(rec));
    if (++filled >= BATCH) {
      if (ours()) {
        await send(batch);
        failpoint('parse.records');
      }
      batch = [];
      filled = 0;
      batchNo++;
    }
    if (draining) break;
  }
  if (batch.length) await send(batch);
  batch = [];
  if (!draining) port.postMessage({ type: 'end', described: source.describe() } satisfies FromParser);
} catch (e) {
  // The records read before the error go first: a refusal names the line the batch had reached.
  if (batch.length) await send(batch);
  const err = e as Error & { code?: string; limitBytes?: number; zh?: string; en?: string };
  port.postMessage({ type: 'error', code: err.code, message: err.message, limitBytes: err.limitBytes, zh: err.zh, en: err.en } satisfies FromParser);
}
// A refused batch still has its whole file fingerprinted: the main thread may ask for a drain.
while (!draining) await new Promise<void>((resolve) => (wake = resolve));
await source.drain().catch(() => undefined);
port.postMessage({ type: 'drained', described: source.describe() } satisfies FromParser);
