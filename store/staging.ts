// Streams a batch's rows into its temporary staging table: accepted records (kind 'a') and rejected
// rows (kind 'r') share one stream, because a connection in COPY mode can run no other statement. PostgreSQL takes COPY FROM
// STDIN (pg-copy-streams); PGlite has no COPY FROM STDIN and takes blobs through /dev/blob instead.
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
const SENT = Promise.resolve();

/** Staging rows in COPY binary format, cut into chunks of whole rows (PGlite runs one COPY per chunk). */
export class StagingEncoder {
  private buf: Buffer;
  private pos = 0;
  private ready: Buffer[] = [];

  constructor(private readonly chunkBytes: number) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
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

  /** Chunks that are full, to be sent in order (most rows fill none: nothing is allocated then). */
  takeReady(): readonly Buffer[] {
    if (this.ready.length === 0) return NO_CHUNKS;
    const r = this.ready;
    this.ready = [];
    return r;
  }

  /** Everything not yet taken. */
  takeAll(): readonly Buffer[] {
    this.seal(this.chunkBytes);
    return this.takeReady();
  }

  /** Moves the current chunk to the ready ones and starts one of at least `size` bytes. */
  private seal(size: number): void {
    if (this.pos > 0) this.ready.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(Math.max(this.chunkBytes, size));
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

export interface Stager {
  accepted(r: CreditRecord): Promise<void>;
  rejected(line: number, cells: readonly string[], issues: readonly RowIssue[]): Promise<void>;
  end(): Promise<void>;
  /** Abandons the copy so the connection can roll back (a connection in COPY mode runs nothing else). */
  abort(reason: Error): Promise<void>;
}

/** Rows go out in chunks: one CopyData message or blob per row would cost a round of I/O each. */
abstract class ChunkedStager implements Stager {
  private encoder: StagingEncoder;

  constructor(private readonly chunkBytes: number) {
    this.encoder = new StagingEncoder(chunkBytes);
  }

  protected abstract send(chunk: Buffer): Promise<void>;

  accepted(r: CreditRecord): Promise<void> {
    this.encoder.accepted(r);
    return this.sendAll(this.encoder.takeReady());
  }

  rejected(line: number, cells: readonly string[], issues: readonly RowIssue[]): Promise<void> {
    this.encoder.rejected(line, cells, issues);
    return this.sendAll(this.encoder.takeReady());
  }

  /** Called once per row: a row that filled no chunk costs no promise of its own. */
  private sendAll(chunks: readonly Buffer[]): Promise<void> {
    return chunks.length === 0 ? SENT : this.sendEach(chunks);
  }

  private async sendEach(chunks: readonly Buffer[]): Promise<void> {
    for (const c of chunks) await this.send(c);
  }

  async end(): Promise<void> {
    await this.sendAll(this.encoder.takeAll());
  }

  async abort(_reason: Error): Promise<void> {
    this.encoder = new StagingEncoder(this.chunkBytes);
  }
}

class PgStager extends ChunkedStager {
  private readonly stream: NodeJS.WritableStream;
  private readonly done: Promise<unknown>;

  constructor(conn: any) {
    super(256 * 1024);
    this.stream = conn.query(copyFrom(`COPY stg ${COPY_COLUMNS} FROM STDIN WITH (FORMAT binary)`));
    this.stream.write(COPY_SIGNATURE);
    this.done = new Promise((resolve, reject) => {
      this.stream.on('finish', resolve);
      this.stream.on('error', reject);
    });
    this.done.catch(() => undefined); // surfaced by send()/end()
  }

  protected async send(chunk: Buffer): Promise<void> {
    if (!this.stream.write(chunk)) await Promise.race([once(this.stream as any, 'drain'), this.done]);
  }

  override async end(): Promise<void> {
    await super.end();
    this.stream.end(COPY_TRAILER);
    await this.done;
  }

  /** pg-copy-streams answers destroy() with a CopyFail message; the server then ends the COPY. */
  override async abort(reason: Error): Promise<void> {
    await super.abort(reason);
    if ((this.stream as any).writableFinished || (this.stream as any).destroyed) return;
    const closed = once(this.stream as any, 'close').catch(() => undefined);
    (this.stream as any).destroy(reason);
    await closed;
  }
}

/** PGlite has no COPY FROM STDIN; it takes a COPY from an in-memory blob, bounded (one huge blob costs GiBs). */
class PgliteStager extends ChunkedStager {
  constructor(private readonly conn: any) {
    super(8 * 1024 * 1024);
  }

  protected async send(chunk: Buffer): Promise<void> {
    await this.conn.query(`COPY stg ${COPY_COLUMNS} FROM '/dev/blob' WITH (FORMAT binary)`, [], { blob: new Blob([COPY_SIGNATURE, chunk, COPY_TRAILER] as Uint8Array<ArrayBuffer>[]) });
  }
}

export function createStager(kind: DbKind, conn: unknown): Stager {
  return kind === 'pg' ? new PgStager(conn) : new PgliteStager(conn);
}
