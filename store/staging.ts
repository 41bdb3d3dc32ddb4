// The COPY side of a batch, a chunk at a time (a connection in COPY mode can run no other statement,
// so each chunk is its own COPY statements): accepted records encoded once in credit_records' own
// column layout, so that each goes unchanged either straight into credit_records (a key the store does
// not hold) or into `stg_a` for the merge (store/batch-load.ts decides after looking the keys up);
// rejected rows into `stg`; keys to count into `stg_keys`. PostgreSQL takes COPY FROM STDIN
// (pg-copy-streams); PGlite has no COPY FROM STDIN and takes blobs through /dev/blob instead.
import { once } from 'node:events';
import { from as copyFrom } from 'pg-copy-streams';
import type { SourceHash } from '../pipelines/stages/source-hash.ts';
import type { CreditRecord, RowIssue } from '../pipelines/types.ts';
import type { DbKind } from './db.ts';
import { toPayload } from './payload.ts';

/** credit_records' columns but its id, in the order records are encoded. */
export const RECORD_COLUMNS = ['category', 'natural_key', 'subject_uscc', 'subject_name', 'event_date', 'fields', 'content_hash', 'version',
  'source_unit', 'delivered_by', 'batch_id', 'source_line', 'received_at', 'loaded_at', 'schema_version', 'source_hash'] as const;

export const STAGING_DDL = [
  'CREATE TEMP TABLE stg (source_line integer NOT NULL, cells jsonb, issues jsonb) ON COMMIT DROP',
  `CREATE TEMP TABLE stg_a ON COMMIT DROP AS SELECT ${RECORD_COLUMNS.join(', ')} FROM credit_records WITH NO DATA`,
  'CREATE TEMP TABLE stg_keys (natural_key text NOT NULL) ON COMMIT DROP',
  'CREATE TEMP TABLE stg_hashes (source_hash bigint NOT NULL) ON COMMIT DROP',
];

/** Where a COPY goes, with its columns. */
const COPY_INTO = {
  records: `credit_records (${RECORD_COLUMNS.join(', ')})`,
  merge: `stg_a (${RECORD_COLUMNS.join(', ')})`,
  rejected: 'stg (source_line, cells, issues)',
  keys: 'stg_keys (natural_key)',
  hashes: 'stg_hashes (source_hash)',
} as const;
export type CopyTarget = keyof typeof COPY_INTO;

/** JSON for a jsonb column. jsonb rejects the escape of U+0000, which a rejected row may hold as
 * delivered: it is shown as ␀ (U+2400) instead. Accepted records never contain it (E_ROW_NUL). */
export function pgJson(v: unknown): string {
  const s = JSON.stringify(v);
  // an escape is a backslash not itself escaped: an odd run of backslashes before u0000
  return s.includes('\\u0000') ? s.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\u2400') : s;
}

// COPY's binary format: each value goes into the chunk once, as UTF-8, with no quoting pass over the
// JSON (the CSV format doubled every quote in it, then joined and re-encoded the lines).
export const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0', 'latin1');
export const COPY_TRAILER = Buffer.from([0xff, 0xff]);
const DAY_MS = 86_400_000;
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const PG_EPOCH_DAY = PG_EPOCH_MS / DAY_MS;
const JSONB_VERSION = 1;

const NO_CHUNKS: readonly Buffer[] = [];
/** Spare buffers kept for reuse: enough for a chunk of rows (a 5k-row penalty chunk is ~25 of 256 KB; up to 20k rows fit). */
const MAX_SPARE = 256;

/** What every record of a batch shares: encoded once. */
export interface BatchConstants {
  readonly deliveredBy: string;
  readonly batchId: string;
  /** Microseconds since 2000-01-01 UTC, as PostgreSQL keeps a timestamptz. */
  readonly receivedAtMicros: bigint;
  readonly loadedAtMicros: bigint;
  readonly schemaVersion: string;
}

/** A timestamptz as PostgreSQL's binary format holds it, from an ISO string (millisecond precision). */
export const pgMicros = (iso: string): bigint => BigInt(Date.parse(iso) - PG_EPOCH_MS) * 1000n;

/** BatchConstants as the encoder writes them: the batch id as its 16 bytes. */
export interface PreparedBatch extends Omit<BatchConstants, 'batchId'> {
  readonly uuid: Buffer;
}

export const prepareBatch = (c: BatchConstants): PreparedBatch => ({ ...c, uuid: Buffer.from(c.batchId.replaceAll('-', ''), 'hex') });

/** Where one row's bytes are: buffer index (in takeAll's order) and the byte range in it. */
export interface Segment { readonly chunk: number; readonly start: number; readonly end: number }

/**
 * Rows in COPY binary format, in buffers of about chunkBytes; a row never spans two buffers, so each
 * row's bytes can be routed to one COPY or another after it is encoded (see pick).
 */
export class StagingEncoder {
  private buf: Buffer;
  private pos = 0;
  private ready: Buffer[] = [];
  private spare: Buffer[] = [];

  constructor(private readonly chunkBytes: number) {
    this.buf = Buffer.allocUnsafeSlow(chunkBytes);
  }

  /** A record in credit_records' layout (RECORD_COLUMNS), version 1; returns where its bytes are. */
  record(r: CreditRecord, b: PreparedBatch): Segment {
    const p = r.provenance;
    const json = JSON.stringify(toPayload(r.category, r.fields));
    // UTF-8 takes at most 3 bytes per UTF-16 unit
    this.row(16, 3 * (r.category.length + r.naturalKey.length + (r.subjectUscc?.length ?? 0) + r.subjectName.length + json.length
      + p.contentHash.length + p.sourceUnit.length + b.deliveredBy.length + b.schemaVersion.length) + 64);
    const start = this.pos - 2;
    this.text(r.category);
    this.text(r.naturalKey);
    if (r.subjectUscc === null) this.nil();
    else this.text(r.subjectUscc);
    this.text(r.subjectName);
    if (r.eventDate === null) this.nil();
    else this.int32(Date.parse(r.eventDate) / DAY_MS - PG_EPOCH_DAY);
    this.jsonb(json);
    this.text(p.contentHash);
    this.int32(1);
    this.text(p.sourceUnit);
    this.text(b.deliveredBy);
    this.pos = this.buf.writeInt32BE(16, this.pos);
    this.pos += b.uuid.copy(this.buf, this.pos);
    this.int32(p.sourceLine);
    this.int64(b.receivedAtMicros);
    this.int64(b.loadedAtMicros);
    this.text(b.schemaVersion);
    if (r.sourceHash === null) this.nil();
    else this.int64Halves(r.sourceHash);
    const seg = { chunk: this.ready.length, start, end: this.pos };
    this.cut();
    return seg;
  }

  /** A rejected row, into `stg`. */
  rejected(line: number, cells: readonly string[], issues: readonly RowIssue[]): void {
    const cellsJson = pgJson(cells);
    const issuesJson = pgJson(issues);
    this.row(3, 3 * (cellsJson.length + issuesJson.length));
    this.int32(line);
    this.jsonb(cellsJson);
    this.jsonb(issuesJson);
    this.cut();
  }

  /** A natural key, into `stg_keys`. */
  key(k: string): void {
    this.row(1, 3 * k.length);
    this.text(k);
    this.cut();
  }

  /** A known row's fingerprint, into `stg_hashes`. */
  sourceHash(h: SourceHash): void {
    this.row(1, 0);
    this.int64Halves(h);
    this.cut();
  }

  /** Every row encoded since the last call, in order, as buffers of about chunkBytes each. */
  takeAll(): readonly Buffer[] {
    this.seal(this.chunkBytes);
    if (this.ready.length === 0) return NO_CHUNKS;
    const r = this.ready;
    this.ready = [];
    return r;
  }

  /**
   * Buffers whose rows the server has taken, to be written again: a batch holds about two chunks of
   * rows at a time, and reusing their buffers keeps that flat instead of leaving GC a trail of them.
   */
  recycle(used: readonly Buffer[]): void {
    for (const b of used) if (b.buffer.byteLength === this.chunkBytes && this.spare.length < MAX_SPARE) this.spare.push(Buffer.from(b.buffer, 0, this.chunkBytes));
  }

  /** Moves the current chunk to the ready ones and starts one of at least `size` bytes. */
  private seal(size: number): void {
    if (this.pos === 0 && this.buf.length >= size) return;
    if (this.pos > 0) this.ready.push(this.buf.subarray(0, this.pos));
    this.buf = size <= this.chunkBytes ? this.spare.pop() ?? Buffer.allocUnsafeSlow(this.chunkBytes) : Buffer.allocUnsafe(size);
    this.pos = 0;
  }

  /** Starts a row of `columns` values with at most `textBytes` of string data: in the current chunk if it fits. */
  private row(columns: number, textBytes: number): void {
    const bound = 2 + columns * 8 + textBytes;
    if (this.pos + bound > this.buf.length) this.seal(bound);
    this.pos = this.buf.writeInt16BE(columns, this.pos);
  }

  private cut(): void {
    if (this.pos >= this.chunkBytes) this.seal(this.chunkBytes);
  }

  private int32(n: number): void {
    this.pos = this.buf.writeInt32BE(4, this.pos);
    this.pos = this.buf.writeInt32BE(n, this.pos);
  }

  private int64(n: bigint): void {
    this.pos = this.buf.writeInt32BE(8, this.pos);
    this.pos = this.buf.writeBigInt64BE(n, this.pos);
  }

  private int64Halves(h: SourceHash): void {
    this.pos = this.buf.writeInt32BE(8, this.pos);
    this.pos = this.buf.writeInt32BE(h.hi, this.pos);
    this.pos = this.buf.writeInt32BE(h.lo, this.pos);
  }

  private nil(): void {
    this.pos = this.buf.writeInt32BE(-1, this.pos);
  }

  private text(s: string): void {
    const n = this.buf.write(s, this.pos + 4, 'utf8');
    this.buf.writeInt32BE(n, this.pos);
    this.pos += 4 + n;
  }

  private jsonb(json: string): void {
    const n = this.buf.write(json, this.pos + 5, 'utf8');
    this.buf.writeInt32BE(n + 1, this.pos);
    this.buf[this.pos + 4] = JSONB_VERSION;
    this.pos += 5 + n;
  }
}

/** The bytes of the chosen rows (segments into `chunks`, in order), runs of neighbours as one slice. */
export function pick(chunks: readonly Buffer[], segments: readonly Segment[], chosen: (i: number) => boolean): Buffer[] {
  const out: Buffer[] = [];
  let run: { chunk: number; start: number; end: number } | undefined;
  for (let i = 0; i < segments.length; i++) {
    if (!chosen(i)) continue;
    const s = segments[i];
    if (run && run.chunk === s.chunk && run.end === s.start) run.end = s.end;
    else {
      if (run) out.push(chunks[run.chunk].subarray(run.start, run.end));
      run = { ...s };
    }
  }
  if (run) out.push(chunks[run.chunk].subarray(run.start, run.end));
  return out;
}

/** Runs a batch's COPY statements, a chunk of the batch at a time, between which the batch merges. */
export interface Stager {
  /** How many bytes of rows the encoder should put in one buffer for this server. */
  readonly chunkBytes: number;
  /** Copies whole rows (buffers from a StagingEncoder), in order; resolves when they are all in the table. */
  copy(into: CopyTarget, chunks: readonly Buffer[]): Promise<void>;
  /** Abandons a copy in progress so the connection can roll back (a connection in COPY mode runs nothing else). */
  abort(reason: Error): Promise<void>;
}

/** One COPY statement per call: the connection is free for the merge between calls. */
class PgStager implements Stager {
  readonly chunkBytes = 256 * 1024;
  private stream: NodeJS.WritableStream | null = null;

  constructor(private readonly conn: any) {}

  async copy(into: CopyTarget, chunks: readonly Buffer[]): Promise<void> {
    const stream: NodeJS.WritableStream = this.conn.query(copyFrom(`COPY ${COPY_INTO[into]} FROM STDIN WITH (FORMAT binary)`));
    this.stream = stream;
    const done = new Promise((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
    });
    done.catch(() => undefined); // surfaced below
    try {
      stream.write(COPY_SIGNATURE);
      for (const c of chunks) if (!stream.write(c)) await Promise.race([once(stream as any, 'drain'), done]);
      stream.end(COPY_TRAILER);
      await done;
    } finally {
      this.stream = null;
    }
  }

  /** pg-copy-streams answers destroy() with a CopyFail message; the server then ends the COPY. */
  async abort(reason: Error): Promise<void> {
    const stream = this.stream as any;
    if (!stream || stream.writableFinished || stream.destroyed) return;
    const closed = once(stream, 'close').catch(() => undefined);
    stream.destroy(reason);
    await closed;
  }
}

/** PGlite has no COPY FROM STDIN; it takes a COPY from an in-memory blob, bounded (one huge blob costs GiBs). */
class PgliteStager implements Stager {
  readonly chunkBytes = 8 * 1024 * 1024;

  constructor(private readonly conn: any) {}

  async copy(into: CopyTarget, chunks: readonly Buffer[]): Promise<void> {
    for (const chunk of chunks) {
      await this.conn.query(`COPY ${COPY_INTO[into]} FROM '/dev/blob' WITH (FORMAT binary)`, [], { blob: new Blob([COPY_SIGNATURE, chunk, COPY_TRAILER] as Uint8Array<ArrayBuffer>[]) });
    }
  }

  async abort(_reason: Error): Promise<void> {}
}

export function createStager(kind: DbKind, conn: unknown): Stager {
  return kind === 'pg' ? new PgStager(conn) : new PgliteStager(conn);
}
