// Runs a file's CPU-heavy stages (decode, parse, normalise, validate, provenance) on a worker
// thread, so they overlap with the COPY and merge the main thread drives: on a 2-core machine the
// two halves of an ingest then run side by side. The worker speaks to the batch transaction in the
// main thread through messages; see RemoteSink and ingestFile.
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { csvSource, runBatch, type BatchSink, type SinkClose } from '../pipelines/run-batch.ts';
import type { Encoding } from '../pipelines/stages/decode.ts';
import type { IngestLimits } from '../pipelines/limits.ts';
import type { CreditRecord, RowIssue } from '../pipelines/types.ts';
import { category, findProviderUnit, type CategoryId } from '../schemas/registry.ts';
import { acceptedLine, rejectedLine } from '../store/staging.ts';
import type { MergeCounts } from '../store/batch-load.ts';

export interface ParseWorkerData {
  readonly file: string;
  readonly encoding: Encoding | 'auto';
  readonly batchId: string;
  readonly category: CategoryId;
  readonly delivererId: string;
  readonly fileName: string;
  readonly receivedAt: string;
  readonly maxRejectRatio?: number;
  readonly maxRejects?: number;
  readonly limits: IngestLimits;
}

export type ToMain =
  | { type: 'chunk'; data: string }
  | { type: 'progress'; bytes: number; rows: number }
  | { type: 'commit'; close: SinkClose }
  | { type: 'fail'; message: string; close: Partial<SinkClose> }
  | { type: 'done'; report: import('../pipelines/run-batch.ts').BatchReport };

export type ToWorker =
  | { type: 'ack' }
  | { type: 'committed'; counts: MergeCounts }
  | { type: 'commitFailed'; message: string }
  | { type: 'failRecorded' };

const CHUNK_CHARS = 256 * 1024;
// Chunks posted but not yet written to COPY: bounds memory when the database is the slower side.
const MAX_IN_FLIGHT = 4;

const port = parentPort!;
const replies: ((m: ToWorker) => void)[] = [];
const slotWaiters: (() => void)[] = [];
let inFlight = 0;
port.on('message', (m: ToWorker) => {
  if (m.type === 'ack') {
    inFlight--;
    slotWaiters.shift()?.();
  } else {
    replies.shift()?.(m);
  }
});
const post = (m: ToMain) => port.postMessage(m);
const reply = () => new Promise<ToWorker>((resolve) => replies.push(resolve));

class RemoteSink implements BatchSink {
  private lines: string[] = [];
  private size = 0;

  write(record: CreditRecord): Promise<void> {
    return this.push(acceptedLine(record));
  }

  reject(line: number, cells: readonly string[], issues: readonly RowIssue[]): Promise<void> {
    return this.push(rejectedLine(line, cells, issues));
  }

  private async push(line: string): Promise<void> {
    this.lines.push(line);
    this.size += line.length;
    if (this.size >= CHUNK_CHARS) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const data = this.lines.join('');
    this.lines = [];
    this.size = 0;
    while (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => slotWaiters.push(resolve));
    inFlight++;
    post({ type: 'chunk', data });
  }

  async commit(close: SinkClose): Promise<MergeCounts> {
    await this.flush();
    post({ type: 'commit', close });
    const r = await reply();
    if (r.type !== 'committed') throw new Error(r.type === 'commitFailed' ? r.message : `unexpected reply ${r.type}`);
    return r.counts;
  }

  async fail(error: Error, close: Partial<SinkClose>): Promise<void> {
    post({ type: 'fail', message: `${(error as any).code ?? error.name}: ${error.message}`, close });
    await reply();
  }
}

const d = workerData as ParseWorkerData;
const report = await runBatch(csvSource(createReadStream(d.file, { highWaterMark: 256 * 1024 }), d.encoding, d.limits), {
  batchId: d.batchId, category: category(d.category), deliverer: findProviderUnit(d.delivererId)!, fileName: d.fileName,
  receivedAt: d.receivedAt, maxRejectRatio: d.maxRejectRatio, maxRejects: d.maxRejects, maxColumns: d.limits.maxColumns,
}, { sink: new RemoteSink(), onProgress: (p) => post({ type: 'progress', ...p }) });
post({ type: 'done', report });
