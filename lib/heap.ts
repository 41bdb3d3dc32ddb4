// How far V8 lets the heap grow in a process that ingests (set by ingest/ingest-file.ts before each
// delivery; setting it again changes nothing). An ingest's main thread makes
// garbage fast but keeps little alive (about 50 MB), while V8 sizes heap growth for the machine:
// after each full collection it allowed up to four times the survivors, so the heap stood at ~130 MB
// for ~50 MB live, and peak RSS at 1M rows was far over the 256 MB target. Capped at 1.2 times, the
// heap follows what is alive, at no measured cost in speed (bench/RESULTS.md, issue 15). The flag is
// read at every collection, so setting it once the process runs takes effect (V8 ignores flags it
// does not know, with a line on stderr, should a later V8 drop it).
import v8 from 'node:v8';

export function boundHeapGrowth(): void {
  v8.setFlagsFromString('--heap-growing-percent=20');
}
