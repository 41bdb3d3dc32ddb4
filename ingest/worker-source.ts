// A file's records, decoded, parsed and (given the category and deliverer) checked on worker threads
// (ingest/parse-worker.ts): a RecordSource like csvSource, so runBatch and the batch transaction stay
// on the one path, while checking and stamping/loading overlap on the machine's cores.
import { Worker } from 'node:worker_threads';
import { FileTooLargeError, type IngestLimits } from '../pipelines/limits.ts';
import type { RecordSource } from '../pipelines/run-batch.ts';
import { UnsupportedEncodingError, type Encoding } from '../pipelines/stages/decode.ts';
import type { BatchInput } from '../pipelines/types.ts';
import type { Described, FromParser, ParseWorkerData, ToParser } from './parse-worker.ts';

export interface WorkerRecordSource extends RecordSource {
  close(): Promise<void>;
}

/** The error the parser threw, as the class runBatch recognises (classes do not cross threads). */
function rebuild(m: Extract<FromParser, { type: 'error' }>): Error {
  if (m.code === 'E_ENCODING_UNSUPPORTED') return new UnsupportedEncodingError(m.zh ?? m.message, m.en ?? m.message);
  if (m.code === 'E_FILE_TOO_LARGE') return new FileTooLargeError(m.limitBytes!);
  return Object.assign(new Error(m.message), { code: m.code });
}

/** One parse thread and the messages it has sent that the main thread has not taken yet. */
interface ParseThread {
  readonly worker: Worker;
  next(): Promise<FromParser>;
  post(m: ToParser): void;
}

function startParseThread(workerData: ParseWorkerData): ParseThread {
  // The thread's heap is capped (peak RSS target 256 MB for the whole process): a 16 MB young
  // generation instead of V8's default took ~23 MB off the peak for ~2% more CPU (100k penalty rows),
  // 8 MB another ~8 MB for ~1% (1M rows); a 32 MB old generation slowed the thread by a quarter.
  const worker = new Worker(new URL('./parse-worker.mjs', import.meta.url), {
    workerData, resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
  });
  const inbox: FromParser[] = [];
  let waiting: (() => void) | undefined;
  const deliver = (m: FromParser) => {
    inbox.push(m);
    waiting?.();
  };
  worker.on('message', deliver);
  worker.on('error', (e) => deliver({ type: 'error', message: `parse worker failed: ${e.message}` }));
  worker.on('exit', (code) => deliver({ type: 'error', message: `parse worker exited with code ${code}` }));
  return {
    worker,
    next: async () => {
      while (inbox.length === 0) await new Promise<void>((resolve) => (waiting = resolve));
      return inbox.shift()!;
    },
    post: (m) => worker.postMessage(m),
  };
}

/**
 * limits.parseThreads threads share the file's batches round robin (ingest/parse-worker.ts), and the
 * batches are taken back in the same order, so the rows reach runBatch in file order whatever the
 * number of threads. Every thread ends with the same message (end, or the same error), since each
 * reads the whole file: the one owed the next batch says it.
 */
export function workerCsvSource(file: string, encoding: Encoding | 'auto', limits: IngestLimits, check?: ParseWorkerData['check']): WorkerRecordSource {
  const threads = limits.parseThreads;
  const parsers = Array.from({ length: threads }, (_, index) => startParseThread({ file, encoding, limits, check, share: { index, of: threads } }));
  let described: Described = { sha256: '', sizeBytes: 0, encoding: null };
  /** The thread whose end (or error) ended the records: it has nothing left to send but its drain. */
  let ender: ParseThread | undefined;

  async function* records(): AsyncGenerator<BatchInput> {
    for (let batch = 0; ; batch++) {
      const parser = parsers[batch % threads];
      const m = await parser.next();
      if (m.type === 'error' || m.type === 'end') ender = parser;
      if (m.type === 'error') throw rebuild(m);
      if (m.type === 'end') {
        described = m.described;
        return;
      }
      if (m.type === 'records') {
        // each thread reads ahead by its own amount: progress never goes back
        described = { ...described, sizeBytes: Math.max(described.sizeBytes, m.sizeBytes), encoding: m.encoding };
        parser.post({ type: 'ack' });
        yield* m.records;
      }
    }
  }

  return {
    records: records(),
    describe: () => described,
    progress: () => described,
    drain: async () => {
      // Any thread fingerprints the whole file; one is asked, the others are stopped at close.
      const parser = ender ?? parsers[0];
      parser.post({ type: 'drain' });
      for (;;) {
        const m = await parser.next();
        if (m.type === 'drained') {
          described = m.described;
          return;
        }
        if (m.type === 'error') throw rebuild(m);
      }
    },
    close: async () => {
      await Promise.all(parsers.map(async ({ worker }) => {
        worker.removeAllListeners('exit');
        await worker.terminate();
      }));
    },
  };
}
