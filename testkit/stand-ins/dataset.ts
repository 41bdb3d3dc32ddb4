// One provider's records with their ids and last-updated times, on a logical clock (no wall clock:
// the same seed serves the same answers). Initial records come in groups of three sharing a time,
// the way a batch import stamps them, so ties straddle page boundaries.
import type { SyntheticRecord } from '../synthetic.ts';

export interface StoredRecord {
  readonly id: string;
  readonly updated: string;
  /** The record in schema field keys, as testkit/synthetic.ts made it. */
  readonly canonical: SyntheticRecord;
}

const START = Date.UTC(2025, 6, 1, 1, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export class Dataset {
  private readonly records: StoredRecord[] = [];
  private clock = START;

  constructor(private readonly idPrefix: string) {}

  /** Initial records: three to a timestamp. */
  seed(rows: readonly SyntheticRecord[]): void {
    rows.forEach((r, i) => this.put(r, iso(START + Math.floor(i / 3) * 1000)));
    this.clock = START + Math.ceil(rows.length / 3) * 1000;
  }

  /** New records, all stamped with one new time, or with the newest existing time (a tie at the boundary). */
  add(rows: readonly SyntheticRecord[], opts: { atLatest?: boolean } = {}): StoredRecord[] {
    const at = opts.atLatest ? this.latest() : this.tick();
    return rows.map((r) => this.put(r, at));
  }

  /** Changes the first `n` records `change` accepts, stamping them with a new time. */
  modify(n: number, change: (r: SyntheticRecord) => SyntheticRecord | undefined): StoredRecord[] {
    const at = this.tick();
    const out: StoredRecord[] = [];
    for (let i = 0; i < this.records.length && out.length < n; i++) {
      const next = change(this.records[i].canonical);
      if (!next) continue;
      this.records[i] = { ...this.records[i], canonical: next, updated: at };
      out.push(this.records[i]);
    }
    return out;
  }

  /** Records updated at or after `since` (inclusive), of one enterprise if given, by (updated, id). */
  query(filter: { since?: string; uscc?: string }): StoredRecord[] {
    return this.records
      .filter((r) => (filter.since === undefined || r.updated >= filter.since) && (filter.uscc === undefined || r.canonical.subject_uscc === filter.uscc))
      .sort((a, b) => (a.updated < b.updated ? -1 : a.updated > b.updated ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  all(): readonly StoredRecord[] {
    return this.records;
  }

  private put(canonical: SyntheticRecord, updated: string): StoredRecord {
    const r = { id: `${this.idPrefix}${String(this.records.length + 1).padStart(6, '0')}`, updated, canonical };
    this.records.push(r);
    return r;
  }

  private latest(): string {
    return this.records.reduce((m, r) => (r.updated > m ? r.updated : m), iso(START));
  }

  private tick(): string {
    this.clock = Math.max(this.clock, Date.parse(this.latest())) + 60_000;
    return iso(this.clock);
  }
}
