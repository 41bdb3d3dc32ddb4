// Worker thread: decodes and parses a file (the csv-parse half of the CPU work) while the main
// thread normalises, validates and loads what it already has (jobs/worker-source.ts). Records
// cross in batches, at most MAX_IN_FLIGHT batches ahead of the main thread, so memory stays flat
// whichever side is slower.
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { IngestLimits } from '../pipelines/limits.ts';
import { csvSource } from '../pipelines/run-batch.ts';
import type { Encoding } from '../pipelines/stages/decode.ts';
import type { ParsedRecord } from '../pipelines/types.ts';

export interface ParseWorkerData {
  readonly file: string;
  readonly encoding: Encoding | 'auto';
  readonly limits: IngestLimits;
}

export interface Described {
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly encoding: string | null;
}

export type FromParser =
  | { type: 'records'; records: ParsedRecord[]; sizeBytes: number; encoding: string | null }
  | { type: 'end'; described: Described }
  | { type: 'drained'; described: Described }
  | { type: 'error'; code?: string; message: string; limitBytes?: number };

export type ToParser = { type: 'ack' } | { type: 'drain' };

export const MAX_IN_FLIGHT = 8;
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

async function send(records: ParsedRecord[]): Promise<void> {
  while (credits === 0 && !draining) await new Promise<void>((resolve) => (wake = resolve));
  if (draining) return;
  credits--;
  const { sizeBytes, encoding } = source.progress();
  port.postMessage({ type: 'records', records, sizeBytes, encoding } satisfies FromParser);
}

try {
  let batch: ParsedRecord[] = [];
  for await (const rec of source.records) {
    batch.push(rec);
    if (batch.length >= BATCH) {
      await send(batch);
      batch = [];
    }
    if (draining) break;
  }
  if (batch.length) await send(batch);
  if (!draining) port.postMessage({ type: 'end', described: source.describe() } satisfies FromParser);
} catch (e) {
  const err = e as Error & { code?: string; limitBytes?: number };
  port.postMessage({ type: 'error', code: err.code, message: err.message, limitBytes: err.limitBytes } satisfies FromParser);
}
// A refused batch still has its whole file fingerprinted: the main thread may ask for a drain.
while (!draining) await new Promise<void>((resolve) => (wake = resolve));
await source.drain().catch(() => undefined);
port.postMessage({ type: 'drained', described: source.describe() } satisfies FromParser);
