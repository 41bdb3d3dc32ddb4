// Copies a batch's rows into its temporary staging table, a chunk at a time: accepted records (kind 'a')
// and rejected rows (kind 'r') share one COPY, because a connection in COPY mode can run no other
// statement. PostgreSQL takes COPY FROM STDIN (pg-copy-streams); PGlite has no COPY FROM STDIN and
// takes blobs through /dev/blob instead.
import { once } from 'node:events';
import { from as copyFrom } from 'pg-copy-streams';
import type { CreditRecord, RowIssue } from '../pipelines/types.ts';
import type { DbKind } from './db.ts';

export const STAGING_DDL = `CREATE TEMP TABLE stg (
  kind "char" NOT NULL, source_line integer NOT NULL, natural_key text, subject_uscc text, subject_name text, event_date date,
  fields jsonb, content_hash text, source_unit text, cells jsonb, issues jsonb
) ON COMMIT DROP`;
const COPY_COLUMNS = '(kind, source_line, natural_key, subject_uscc, subject_name, event_date, fields, content_hash, source_unit, cells, issues)';

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
const COLUMN_COUNT = 11;
const DAY_MS = 86_400_000;
const PG_EPOCH_DAY = Date.UTC(2000, 0, 1) / DAY_MS;
const KIND_ACCEPTED = 0x61; // 'a'
const KIND_REJECTED = 0x72; // 'r'
const JSONB_VERSION = 1;

const NO_CHUNKS: readonly Buffer[] = [];
/** Spare buffers kept for reuse: enough for a chunk of rows (a 20k-row penalty chunk is ~100 of 256 KB). */
const MAX_SPARE = 256;

/** Staging rows in COPY binary format, cut into chunks of whole rows (PGlite runs one COPY per chunk). */
export class StagingEncoder {
  private buf: Buffer;
  private pos = 0;
  private ready: Buffer[] = [];
  private spare: Buffer[] = [];

  constructor(private readonly chunkBytes: number) {
    this.buf = Buffer.allocUnsafeSlow(chunkBytes);
  }

  accepted(r: CreditRecord): void {
    const p = r.provenance;
    const json = JSON.stringify(r.fields);
    // UTF-8 takes at most 3 bytes per UTF-16 unit
    this.row(3 * (r.naturalKey.length + (r.subjectUscc?.length ?? 0) + r.subjectName.length + json.length + p.contentHash.length + p.sourceUnit.length));
    this.byte(KIND_ACCEPTED);
    this.int32(p.sourceLine);
    this.text(r.naturalKey);
    if (r.subjectUscc === null) this.nil();
    else this.text(r.subjectUscc);
    this.text(r.subjectName);
    if (r.eventDate === null) this.nil();
    else this.int32(Date.parse(r.eventDate) / DAY_MS - PG_EPOCH_DAY);
    this.jsonb(json);
    this.text(p.contentHash);
    this.text(p.sourceUnit);
    this.nil();
    this.nil();
    this.cut();
  }

  rejected(line: number, cells: readonly string[], issues: readonly RowIssue[]): void {
    const cellsJson = pgJson(cells);
    const issuesJson = pgJson(issues);
    this.row(3 * (cellsJson.length + issuesJson.length));
    this.byte(KIND_REJECTED);
    this.int32(line);
    for (let i = 0; i < 7; i++) this.nil();
    this.jsonb(cellsJson);
    this.jsonb(issuesJson);
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

  /** Starts a row with at most `textBytes` of string data: in the current chunk if it fits. */
  private row(textBytes: number): void {
    const bound = 2 + COLUMN_COUNT * 4 + 1 + 4 + 4 + 2 + textBytes;
    if (this.pos + bound > this.buf.length) this.seal(bound);
    this.pos = this.buf.writeInt16BE(COLUMN_COUNT, this.pos);
  }

  private cut(): void {
    if (this.pos >= this.chunkBytes) this.seal(this.chunkBytes);
  }

  private byte(b: number): void {
    this.pos = this.buf.writeInt32BE(1, this.pos);
    this.buf[this.pos++] = b;
  }

  private int32(n: number): void {
    this.pos = this.buf.writeInt32BE(4, this.pos);
    this.pos = this.buf.writeInt32BE(n, this.pos);
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

/** Copies staging rows into `stg`, a chunk of the batch at a time, between which the batch merges. */
export interface Stager {
  /** How many bytes of rows the encoder should put in one buffer for this server. */
  readonly chunkBytes: number;
  /** Copies whole rows (buffers from a StagingEncoder), in order; resolves when they are all in `stg`. */
  copy(chunks: readonly Buffer[]): Promise<void>;
  /** Abandons a copy in progress so the connection can roll back (a connection in COPY mode runs nothing else). */
  abort(reason: Error): Promise<void>;
}

/** One COPY statement per call: the connection is free for the merge between calls. */
class PgStager implements Stager {
  readonly chunkBytes = 256 * 1024;
  private stream: NodeJS.WritableStream | null = null;

  constructor(private readonly conn: any) {}

  async copy(chunks: readonly Buffer[]): Promise<void> {
    const stream: NodeJS.WritableStream = this.conn.query(copyFrom(`COPY stg ${COPY_COLUMNS} FROM STDIN WITH (FORMAT binary)`));
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

  async copy(chunks: readonly Buffer[]): Promise<void> {
    for (const chunk of chunks) {
      await this.conn.query(`COPY stg ${COPY_COLUMNS} FROM '/dev/blob' WITH (FORMAT binary)`, [], { blob: new Blob([COPY_SIGNATURE, chunk, COPY_TRAILER] as Uint8Array<ArrayBuffer>[]) });
    }
  }

  async abort(_reason: Error): Promise<void> {}
}

export function createStager(kind: DbKind, conn: unknown): Stager {
  return kind === 'pg' ? new PgStager(conn) : new PgliteStager(conn);
}
