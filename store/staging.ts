// Streams a batch's rows into its temporary staging table: accepted records (kind 'a') and rejected
// rows (kind 'r') share one stream, because a connection in COPY mode can run no other statement. PostgreSQL takes COPY FROM
// STDIN (pg-copy-streams); PGlite has no COPY FROM STDIN and takes CSV blobs through /dev/blob instead.
import { once } from 'node:events';
import { from as copyFrom } from 'pg-copy-streams';
import type { CreditRecord, RowIssue } from '../pipelines/types.ts';
import type { DbKind } from './db.ts';

export const STAGING_DDL = `CREATE TEMP TABLE stg (
  kind "char" NOT NULL, source_line integer NOT NULL, natural_key text, subject_uscc text, subject_name text, event_date date,
  fields jsonb, content_hash text, source_unit text, cells jsonb, issues jsonb
) ON COMMIT DROP`;
const COPY_COLUMNS = '(kind, source_line, natural_key, subject_uscc, subject_name, event_date, fields, content_hash, source_unit, cells, issues)';

const q = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** JSON for a jsonb column. jsonb rejects the escape of U+0000, which a rejected row may hold as
 * delivered: it is shown as ␀ (U+2400) instead. Accepted records never contain it (E_ROW_NUL). */
export function pgJson(v: unknown): string {
  const s = JSON.stringify(v);
  // an escape is a backslash not itself escaped: an odd run of backslashes before u0000
  return s.includes('\\u0000') ? s.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\u2400') : s;
}

// An unquoted empty field is NULL in COPY's CSV format.
export function acceptedLine(r: CreditRecord): string {
  return `a,${r.provenance.sourceLine},${q(r.naturalKey)},${q(r.subjectUscc)},${q(r.subjectName)},${r.eventDate ?? ''},${q(JSON.stringify(r.fields))},${r.provenance.contentHash},${q(r.provenance.sourceUnit)},,\n`;
}

export function rejectedLine(line: number, cells: readonly string[], issues: readonly RowIssue[]): string {
  return `r,${line},,,,,,,,${q(pgJson(cells))},${q(pgJson(issues))}\n`;
}

export interface Stager {
  write(line: string): Promise<void>;
  end(): Promise<void>;
  /** Abandons the copy so the connection can roll back (a connection in COPY mode runs nothing else). */
  abort(reason: Error): Promise<void>;
}

/** Lines go out in chunks: one CopyData message or blob per line would cost a round of I/O each. */
abstract class ChunkedStager implements Stager {
  private pending: string[] = [];
  private pendingSize = 0;

  constructor(private readonly chunkChars: number) {}

  protected abstract send(chunk: string): Promise<void>;

  async write(line: string): Promise<void> {
    this.pending.push(line);
    this.pendingSize += line.length;
    if (this.pendingSize >= this.chunkChars) await this.flush();
  }

  protected async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingSize = 0;
    await this.send(chunk);
  }

  async end(): Promise<void> {
    await this.flush();
  }

  async abort(_reason: Error): Promise<void> {
    this.pending = [];
    this.pendingSize = 0;
  }
}

class PgStager extends ChunkedStager {
  private readonly stream: NodeJS.WritableStream;
  private readonly done: Promise<unknown>;

  constructor(conn: any) {
    super(256 * 1024);
    this.stream = conn.query(copyFrom(`COPY stg ${COPY_COLUMNS} FROM STDIN WITH (FORMAT csv)`));
    this.done = new Promise((resolve, reject) => {
      this.stream.on('finish', resolve);
      this.stream.on('error', reject);
    });
    this.done.catch(() => undefined); // surfaced by send()/end()
  }

  protected async send(chunk: string): Promise<void> {
    if (!this.stream.write(chunk)) await Promise.race([once(this.stream as any, 'drain'), this.done]);
  }

  override async end(): Promise<void> {
    await super.end();
    this.stream.end();
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

  protected async send(chunk: string): Promise<void> {
    await this.conn.query(`COPY stg ${COPY_COLUMNS} FROM '/dev/blob' WITH (FORMAT csv)`, [], { blob: new Blob([chunk]) });
  }
}

export function createStager(kind: DbKind, conn: unknown): Stager {
  return kind === 'pg' ? new PgStager(conn) : new PgliteStager(conn);
}
