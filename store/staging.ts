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

// An unquoted empty field is NULL in COPY's CSV format.
export function acceptedLine(r: CreditRecord): string {
  return `a,${r.provenance.sourceLine},${q(r.naturalKey)},${q(r.subjectUscc)},${q(r.subjectName)},${r.eventDate ?? ''},${q(JSON.stringify(r.fields))},${r.provenance.contentHash},${q(r.provenance.sourceUnit)},,\n`;
}

export function rejectedLine(line: number, cells: readonly string[], issues: readonly RowIssue[]): string {
  return `r,${line},,,,,,,,${q(JSON.stringify(cells))},${q(JSON.stringify(issues))}\n`;
}

export interface Stager {
  write(line: string): Promise<void>;
  end(): Promise<void>;
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
