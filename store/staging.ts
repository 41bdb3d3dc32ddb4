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

class PgStager implements Stager {
  private readonly stream: NodeJS.WritableStream;
  private readonly done: Promise<unknown>;
  // One CopyData message per line costs a socket write each; lines are sent in ~256 KB chunks.
  private pending: string[] = [];
  private pendingSize = 0;

  constructor(conn: any, private readonly chunkChars = 256 * 1024) {
    this.stream = conn.query(copyFrom(`COPY stg ${COPY_COLUMNS} FROM STDIN WITH (FORMAT csv)`));
    this.done = new Promise((resolve, reject) => {
      this.stream.on('finish', resolve);
      this.stream.on('error', reject);
    });
    this.done.catch(() => undefined); // surfaced by write()/end()
  }

  async write(line: string): Promise<void> {
    this.pending.push(line);
    this.pendingSize += line.length;
    if (this.pendingSize >= this.chunkChars) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingSize = 0;
    if (!this.stream.write(chunk)) await Promise.race([once(this.stream as any, 'drain'), this.done]);
  }

  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
    await this.done;
  }
}

/** PGlite takes a COPY from an in-memory blob; chunks keep memory bounded (one huge blob costs GiBs). */
class PgliteStager implements Stager {
  private lines: string[] = [];
  private size = 0;
  constructor(private readonly conn: any, private readonly maxChunkBytes = 8 * 1024 * 1024) {}

  async write(line: string): Promise<void> {
    this.lines.push(line);
    this.size += line.length;
    if (this.size >= this.maxChunkBytes) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const blob = new Blob(this.lines);
    this.lines = [];
    this.size = 0;
    await this.conn.query(`COPY stg ${COPY_COLUMNS} FROM '/dev/blob' WITH (FORMAT csv)`, [], { blob });
  }

  async end(): Promise<void> {
    await this.flush();
  }
}

export function createStager(kind: DbKind, conn: unknown): Stager {
  return kind === 'pg' ? new PgStager(conn) : new PgliteStager(conn);
}
