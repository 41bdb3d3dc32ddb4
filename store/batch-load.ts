// One batch = one transaction: its registry entry, staged rows, rejected rows, the merge into the
// store and its final status commit together. A crash anywhere leaves nothing of the batch behind
// (a queued upload's pre-registered row stays `received`), and running the same file again completes it.
//
// Rows are written a chunk at a time while the file is still being read, on the server, while this
// process encodes the next chunk: the merge no longer runs alone after the stream with the parsing
// threads idle (35% of a 1M-row load's wall time when it did). Each chunk's keys are looked up
// first: a record whose key the store does not hold is copied straight into credit_records; one the
// store holds unchanged is not written at all (no row lock, no WAL); only changed records and keys
// repeated in the file go through `stg_a` and the merge statement. A later line wins over an
// earlier one with the same key even across chunks: a record this batch already wrote is
// overwritten in place, with no history version of its own. Rows a large re-delivery recognises by
// their fingerprint (knownRows, pipelines/known-rows.ts) are not even looked up: they are counted
// unchanged, and take their place in the chunks.
import type { Knex } from 'knex';
import type { CategoryId } from '../schemas/registry.ts';
import type { KnownRows } from '../pipelines/known-rows.ts';
import type { BatchSink, SinkClose } from '../pipelines/run-batch.ts';
import type { BatchCounts, CreditRecord, RowIssue } from '../pipelines/types.ts';
import { failpoint } from '../lib/failpoints.ts';
import { REPORT_LINE_COLUMN } from '../pipelines/report.ts';
import { metrics } from '../lib/metrics.ts';
import type { BatchStatus } from './batch-status.ts';
import type { Db } from './db.ts';
import { captureEvents, readsInsertions, tracksArrears, type BatchEvents } from './events.ts';
import { readKnownRows } from './known-rows.ts';
import { createStager, pgJson, pgMicros, pick, prepareBatch, RECORD_COLUMNS, STAGING_DDL, StagingEncoder, type BatchConstants, type PreparedBatch, type Segment, type Stager } from './staging.ts';

export interface BatchMeta {
  readonly id: string;
  readonly category: CategoryId;
  readonly fileName: string;
  readonly deliveredBy: string;
  readonly schemaVersion: string;
  readonly receivedAt: string;
  readonly maxRejectRatio?: number;
  readonly maxRejects?: number;
  /**
   * The delivery is the deliverer's whole current set of the category: its records missing from it
   * are withdrawn (moved to history), and each becomes a record.withdrawn event.
   */
  readonly fullDelivery?: boolean;
  /** The mass-withdrawal guard's share (store/events.ts): above it, the batch's events are held for an operator. */
  readonly withdrawShare?: number;
  /** The batch this one corrects, when named by the deliverer (else detected from a corrected report's 行号). */
  readonly corrects?: string;
  /** Rows (accepted and rejected) merged at a time; default MERGE_CHUNK_ROWS. */
  readonly mergeChunkRows?: number;
  /** Work that must commit or roll back with the batch (a connector's cursor, a run ledger entry). */
  readonly inTransaction?: (trx: Knex.Transaction, outcome: { status: 'loaded' | 'refused' }) => Promise<void>;
}

export type MergeCounts = Pick<BatchCounts, 'inserted' | 'updated' | 'unchanged' | 'duplicates'>;

/**
 * Rows per chunk. Larger chunks cost fewer statements but hold more encoded rows in memory while the
 * previous chunk is written (about 1.3 KB a penalty row). At 1M penalty rows, 5,000 against 20,000
 * took peak RSS from 377 to 231 MB (with lib/heap.ts and the parse thread's 8 MB young generation),
 * the first load from 53.0 to 47.6 s and the identical re-ingest from 28.4 to 29.5 s.
 */
export const MERGE_CHUNK_ROWS = 5_000;

/**
 * A file worth reading the deliverer's fingerprints for (knownRows): its rows, estimated from the
 * deliverer's earlier batches, are at least this share of the records the deliverer holds. Reading
 * them costs about 1 µs a record; a row left out saves about 70 µs of checking, stamping and lookup.
 */
const KNOWN_ROWS_MIN_SHARE = 0.25;

/**
 * Above this many records held, a delivery is checked in full: their fingerprints would take more
 * than the 256 MB an ingest is meant to peak at leaves (12 bytes and a bit a slot, at most 2M slots
 * here: 25 MB). Re-ingests of 3M penalty rows, with a table of 4M slots, peaked at 247-268 MB.
 */
const KNOWN_ROWS_MAX_RECORDS = 1_500_000;

/** A batch that wrote at least this many records refreshes the store's statistics after it commits. */
const ANALYZE_AFTER_ROWS = 10_000;

/**
 * The store's record of a key: one probe of the key's unique index. The category's statistics lag
 * far behind a table this transaction is filling, so the planner is given no choice: as a plain join
 * it scanned the whole category for every chunk, and with the category as a constant it chose a
 * partial index on category alone (credit_records_publicity_end) and walked it all for every key;
 * the LIMIT keeps the subquery from being flattened into a join, and the category as an InitPlan
 * value cannot prove a partial index's predicate.
 */
const probeKey = (key: string) => `LATERAL (
    SELECT id, content_hash, batch_id, source_hash FROM credit_records r WHERE r.category = (SELECT :category::text) AND r.natural_key = ${key} LIMIT 1
  ) r`;

/** Each key of a chunk in the store (by its position in :keys, from 0). */
const LOOKUP_SQL = `
SELECT k.i::int - 1 AS i, r.content_hash, r.batch_id = :batchId::uuid AS ours, (r.source_hash >> 32)::int AS sh, ((r.source_hash << 32) >> 32)::int AS sl
FROM unnest(:keys::text[]) WITH ORDINALITY AS k(key, i) JOIN ${probeKey('k.key')} ON true`;

/**
 * The chunk's records that need more than a copy (what \`stg_a\` holds: changed records, and keys
 * repeated in the file) into the store. Later lines win over earlier ones with the same key (an
 * anti-join on the narrow key columns, where DISTINCT ON would sort whole rows), each remaining line
 * probing its key (probeKey). A changed record's previous version moves to
 * credit_record_versions with its own provenance; a record this batch wrote from an earlier chunk is
 * overwritten in place (its version and history stay as that first write left them). What was
 * inserted or changed (with the old fields) goes to merge_touched, once per record, for the events.
 */
const MERGE_SQL = `
WITH plan AS MATERIALIZED (
  SELECT s.source_line, r.id AS cur_id, r.batch_id AS cur_batch
  FROM stg_a s LEFT JOIN ${probeKey('s.natural_key')} ON true
  WHERE NOT EXISTS (SELECT 1 FROM stg_a d WHERE d.natural_key = s.natural_key AND d.source_line > s.source_line)
  AND (r.id IS NULL OR r.batch_id = :batchId OR r.content_hash <> s.content_hash)
), changed AS (
  SELECT r.* FROM credit_records r WHERE r.id = ANY(ARRAY(SELECT cur_id FROM plan WHERE cur_id IS NOT NULL AND cur_batch <> :batchId))
), history AS (
  INSERT INTO credit_record_versions (record_id, ${RECORD_COLUMNS.join(', ')}, superseded_at, superseded_by_batch)
  SELECT id, ${RECORD_COLUMNS.join(', ')}, now(), :batchId FROM changed
), up AS (
  INSERT INTO credit_records (${RECORD_COLUMNS.join(', ')})
  SELECT ${RECORD_COLUMNS.map((c) => `s.${c}`).join(', ')} FROM stg_a s JOIN plan p ON p.source_line = s.source_line
  ON CONFLICT (category, natural_key) DO UPDATE SET
    ${RECORD_COLUMNS.filter((c) => c !== 'category' && c !== 'natural_key' && c !== 'version').map((c) => `${c} = EXCLUDED.${c}`).join(', ')},
    version = credit_records.version + CASE WHEN credit_records.batch_id = EXCLUDED.batch_id THEN 0 ELSE 1 END
  RETURNING id, (xmax = 0) AS inserted
), touched AS (
  INSERT INTO merge_touched (record_id, kind, old_fields)
  SELECT u.id, CASE WHEN u.inserted THEN 'inserted' ELSE 'updated' END, c.fields FROM up u LEFT JOIN changed c ON c.id = u.id
  ON CONFLICT (record_id) DO NOTHING
)
SELECT (SELECT count(*) FROM up WHERE inserted)::int AS inserted, (SELECT count(*) FROM changed)::int AS updated`;

/**
 * A corrected report's rejected rows came from rows the batch it corrected had rejected: each carries
 * that row's line in its first 行号 cell. When a later round resolves such a row, the row it came
 * from is resolved too, by the same batch and line, back through every round.
 */
const RESOLVE_EARLIER_ROUNDS_SQL = `
WITH RECURSIVE came_from AS (
  SELECT r.batch_id, r.line, r.cells, r.resolved_line FROM rejected_rows r WHERE r.batch_id = :target AND r.resolved_by = :id
  UNION ALL
  SELECT e.batch_id, e.line, e.cells, c.resolved_line
  FROM came_from c
  JOIN batches b ON b.id = c.batch_id AND b.corrects IS NOT NULL
  CROSS JOIN LATERAL (SELECT h.i::int - 1 AS at FROM jsonb_array_elements_text(b.headers) WITH ORDINALITY h(name, i) WHERE h.name = :reportLine ORDER BY h.i LIMIT 1) col
  JOIN rejected_rows e ON e.batch_id = b.corrects AND e.line::text = btrim(c.cells ->> col.at) AND e.resolved_by IS NULL
)
UPDATE rejected_rows r SET resolved_by = :id, resolved_line = c.resolved_line
FROM came_from c WHERE r.batch_id = c.batch_id AND r.line = c.line AND r.batch_id <> :target AND r.resolved_by IS NULL`;

/** Records this batch wrote that it did not change from an earlier version: the ones it inserted. */
const INSERTED_BY_BATCH = `credit_records r WHERE r.batch_id = :batchId
  AND NOT EXISTS (SELECT 1 FROM credit_record_versions v WHERE v.record_id = r.id AND v.superseded_by_batch = :batchId)`;

/** A merge that overwrote in place a record copied straight in took it for an update with no old fields: it was an insertion. */
const COPIED_NOT_UPDATED_SQL = `UPDATE merge_touched SET kind = 'inserted' WHERE kind = 'updated' AND old_fields IS NULL`;

/** merge_touched (which the outbox reads) learns of the records copied straight in. */
const TOUCHED_BY_COPY_SQL = `INSERT INTO merge_touched (record_id, kind) SELECT r.id, 'inserted' FROM ${INSERTED_BY_BATCH} ON CONFLICT (record_id) DO NOTHING`;

/**
 * A batch refused after some of its chunks were written (its error budget is judged on the whole
 * file) leaves the store as it found it: what it inserted goes, what it changed gets its previous
 * version back from history. Nothing else wrote those rows meanwhile: writes to a category hold its lock.
 */
const UNDO_SQL = [
  `DELETE FROM ${INSERTED_BY_BATCH}`,
  `UPDATE credit_records r SET ${RECORD_COLUMNS.filter((c) => c !== 'category' && c !== 'natural_key').map((c) => `${c} = v.${c}`).join(', ')}
   FROM credit_record_versions v WHERE v.superseded_by_batch = :batchId AND v.record_id = r.id`,
  'DELETE FROM credit_record_versions WHERE superseded_by_batch = :batchId',
  'TRUNCATE merge_touched',
];

/** A full delivery: the deliverer's records it no longer holds leave the store for history, and are reported as withdrawn. */
const WITHDRAW_SQL = `
WITH gone AS (
  DELETE FROM credit_records r WHERE r.category = :category AND r.delivered_by = :deliveredBy
    AND r.batch_id <> :batchId AND NOT EXISTS (SELECT 1 FROM stg_keys s WHERE s.natural_key = r.natural_key)
    AND NOT EXISTS (SELECT 1 FROM stg_hashes h WHERE h.source_hash = r.source_hash)
  RETURNING r.*
), history AS (
  INSERT INTO credit_record_versions (record_id, ${RECORD_COLUMNS.join(', ')}, superseded_at, superseded_by_batch)
  SELECT id, ${RECORD_COLUMNS.join(', ')}, now(), :batchId FROM gone
), touched AS (
  INSERT INTO merge_touched (record_id, kind, old_fields, version, subject_uscc, event_date)
  SELECT id, 'withdrawn', fields, version, subject_uscc, event_date FROM gone
)
SELECT count(*)::int AS withdrawn FROM gone`;

/** The registry row of a batch as it arrives (status received): registered ahead or adopted by the batch. */
const receivedRow = (meta: Omit<BatchMeta, 'inTransaction'>) => ({
  category: meta.category, file_name: meta.fileName, delivered_by: meta.deliveredBy, status: 'received', schema_version: meta.schemaVersion,
  received_at: meta.receivedAt, max_reject_ratio: meta.maxRejectRatio ?? null, max_rejects: meta.maxRejects ?? null,
});

/** The rows of one chunk, encoded, with what routing them needs. */
interface Chunk {
  readonly records: readonly Buffer[];
  /** The fingerprints of the chunk's known rows, for a full delivery's withdrawal (stg_hashes). */
  readonly knownHashes: readonly Buffer[];
  readonly segments: readonly Segment[];
  readonly keys: readonly string[];
  readonly hashes: readonly string[];
  readonly usccs: readonly string[];
  readonly rejected: readonly Buffer[];
}

/** Where a chunk's record goes. */
const enum Route { Copy, Merge, Skip }

export class BatchLoad implements BatchSink {
  private readonly records: StagingEncoder;
  private readonly others: StagingEncoder;
  /** Keys to count, encoded while a chunk is written (never while rows are read: `others` is theirs). */
  private readonly counted: StagingEncoder;
  private readonly chunkRows: number;
  private segments: Segment[] = [];
  private keys: string[] = [];
  private hashes: string[] = [];
  /** The enterprises the chunk names, where the outbox's arrears rule needs them. */
  private usccs = new Set<string>();
  private readonly tracksArrears: boolean;
  private rejectedRows = 0;
  /** The deliverer's fingerprints, when the file is worth reading them for (knownRows). */
  private known: KnownRows | null = null;
  /** Known rows' fingerprints, kept for a full delivery only. */
  private knownHashes: StagingEncoder | null = null;
  private knownInChunk = 0;
  private knownRowCount = 0;
  /** The chunk last handed over, being written on the server while the next chunk is encoded. */
  private writing: Promise<void> = Promise.resolve();
  private events: BatchEvents | undefined;
  private accepted = 0;
  /** Records copied straight in: each a key the batch met for the first time. */
  private copied = 0;
  private inserted = 0;
  private updated = 0;
  private readonly started = performance.now();
  /** Milliseconds by phase, for the report: `wait` is time the rows waited for the server (not overlapped). */
  private readonly phases = { known: 0, write: 0, wait: 0, tail: 0 };

  private constructor(
    private readonly db: Db,
    private readonly trx: Knex.Transaction,
    private readonly stager: Stager,
    private readonly conn: unknown,
    private readonly batch: PreparedBatch,
    readonly meta: BatchMeta,
  ) {
    this.records = new StagingEncoder(stager.chunkBytes);
    this.others = new StagingEncoder(stager.chunkBytes);
    this.counted = new StagingEncoder(stager.chunkBytes);
    this.chunkRows = meta.mergeChunkRows ?? MERGE_CHUNK_ROWS;
    this.tracksArrears = tracksArrears(meta.category);
  }

  static async begin(db: Db, meta: BatchMeta): Promise<BatchLoad> {
    const trx = await db.knex.transaction();
    try {
      // A queued upload registered its row ahead (status received, committed on its own): the batch
      // adopts it, and holds its lock until commit. A failed attempt left it received or failed with
      // no data, so a retry adopts it again; a finished batch is never run twice.
      const row = { ...receivedRow(meta), finished_at: null, error: null };
      const adopted = await trx('batches').insert({ id: meta.id, ...row }).onConflict('id').merge(row)
        .whereIn('batches.status', ['received', 'failed']).returning('id');
      if (adopted.length === 0) throw new BatchNotPendingError(`batch ${meta.id} is already finished`);
      failpoint('batch.registered');
      for (const ddl of STAGING_DDL) await trx.raw(ddl);
      // loaded_at is the transaction's start, as now() gives it, to the microsecond
      const { rows: [t] } = await trx.raw(`SELECT (extract(epoch FROM now() - timestamptz '2000-01-01 00:00:00+00') * 1000000)::bigint::text AS us`);
      const constants: BatchConstants = {
        deliveredBy: meta.deliveredBy, batchId: meta.id, schemaVersion: meta.schemaVersion,
        receivedAtMicros: pgMicros(meta.receivedAt), loadedAtMicros: BigInt(t.us),
      };
      const conn = await (trx as any).client.acquireConnection();
      return new BatchLoad(db, trx, createStager(db.kind, conn), conn, prepareBatch(constants), meta);
    } catch (e) {
      await trx.rollback().catch(() => undefined);
      throw e;
    }
  }

  /**
   * The deliverer's fingerprints (pipelines/known-rows.ts) when a file of `fileBytes` is worth reading
   * them for, on PostgreSQL; null otherwise. The category's write lock is taken first, so that only
   * this batch changes those records until it commits.
   */
  async knownRows(fileBytes: number): Promise<KnownRows | null> {
    if (this.db.kind !== 'pg') return null;
    const { rows: [held] } = await this.trx.raw(`SELECT coalesce(sum(size_bytes), 0)::float8 AS bytes, coalesce(sum(read), 0)::float8 AS rows,
      coalesce(sum(inserted) - sum(withdrawn), 0)::float8 AS records FROM batches WHERE category = ? AND delivered_by = ? AND status = 'loaded'`,
    [this.meta.category, this.meta.deliveredBy]);
    if (held.records <= 0 || held.records > KNOWN_ROWS_MAX_RECORDS || held.bytes <= 0) return null;
    if ((fileBytes * held.rows) / held.bytes < KNOWN_ROWS_MIN_SHARE * held.records) return null;
    const start = performance.now();
    await this.startWriting();
    const known = await readKnownRows(this.conn, this.meta.category, this.meta.deliveredBy, held.records);
    this.phases.known = performance.now() - start;
    failpoint('batch.known');
    if (known === null) return null;
    this.known = known;
    if (this.meta.fullDelivery) this.knownHashes = new StagingEncoder(this.stager.chunkBytes);
    return known;
  }

  write(record: CreditRecord): Promise<void> {
    this.segments.push(this.records.record(record, this.batch));
    this.keys.push(record.naturalKey);
    this.hashes.push(record.provenance.contentHash);
    if (this.tracksArrears && record.subjectUscc !== null) this.usccs.add(record.subjectUscc);
    return this.chunkFull() ? this.nextChunk(true) : DONE;
  }

  reject(line: number, cells: readonly string[], issues: readonly RowIssue[]): Promise<void> {
    this.others.rejected(line, cells, issues);
    this.rejectedRows++;
    return this.chunkFull() ? this.nextChunk(true) : DONE;
  }

  unchanged(slot: number): Promise<void> {
    this.known!.meet(slot);
    this.knownRowCount++;
    // Known rows take their place in chunks as if they were written, so the chunks, and what an
    // in-file revert leaves across them, are the same as when every row is checked.
    this.knownInChunk++;
    this.knownHashes?.sourceHash(this.known!.kept(slot));
    return this.chunkFull() ? this.nextChunk(true) : DONE;
  }

  private chunkFull(): boolean {
    return this.keys.length + this.rejectedRows + this.knownInChunk >= this.chunkRows;
  }

  /**
   * Hands the rows encoded so far to the server once the previous chunk is written, and goes on
   * without waiting for them, so that this thread encodes the next chunk meanwhile. A failure
   * surfaces at the next chunk or at commit.
   */
  private async nextChunk(write: boolean): Promise<void> {
    const chunk: Chunk = {
      records: this.records.takeAll(), knownHashes: this.knownHashes?.takeAll() ?? [],
      segments: this.segments, keys: this.keys, hashes: this.hashes,
      usccs: [...this.usccs], rejected: this.rejectedRows > 0 ? this.others.takeAll() : [],
    };
    this.accepted += chunk.keys.length;
    this.segments = [];
    this.keys = [];
    this.hashes = [];
    this.usccs = new Set();
    this.rejectedRows = 0;
    this.knownInChunk = 0;
    const waited = performance.now();
    await this.writing;
    this.phases.wait += performance.now() - waited;
    const p = this.load(chunk, write);
    p.catch(() => undefined); // awaited, and so thrown, at the next chunk or at commit
    this.writing = p;
  }

  private async load(chunk: Chunk, write: boolean): Promise<void> {
    const start = performance.now();
    if (chunk.rejected.length > 0) {
      await this.trx.raw('TRUNCATE stg');
      await this.stager.copy('rejected', chunk.rejected);
      this.others.recycle(chunk.rejected);
      await this.trx.raw(`INSERT INTO rejected_rows (batch_id, line, cells, issues)
        SELECT ?, source_line, cells, issues FROM stg ORDER BY source_line`, [this.meta.id]);
    }
    if (write && chunk.knownHashes.length > 0) {
      await this.stager.copy('hashes', chunk.knownHashes);
      this.knownHashes!.recycle(chunk.knownHashes);
    }
    if (write && chunk.keys.length > 0) await this.writeRecords(chunk);
    this.records.recycle(chunk.records);
    this.phases.write += performance.now() - start;
  }

  /** A chunk's records into the store: looked up, then copied, merged or left out (see the file's head). */
  private async writeRecords(c: Chunk): Promise<void> {
    if (this.events === undefined) await this.startWriting();
    await this.events!.beforeChunk(c.usccs);
    failpoint('batch.merge');
    const { rows: found } = await this.trx.raw(LOOKUP_SQL, { batchId: this.meta.id, keys: c.keys as string[], category: this.meta.category });
    const stored: ({ hash: string; ours: boolean; metKnown: boolean } | undefined)[] = new Array(c.keys.length);
    for (const f of found) {
      // a known row earlier in the file already counted the record (the later line is written as usual)
      const metKnown = this.known !== null && f.sh !== null && this.known.met({ hi: f.sh, lo: f.sl });
      stored[f.i] = { hash: f.content_hash, ours: f.ours === true, metKnown };
    }
    const seen = new Map<string, number>();
    for (const k of c.keys) seen.set(k, (seen.get(k) ?? 0) + 1);
    const routes = new Uint8Array(c.keys.length);
    // Keys counted for the batch's distinct keys (with `copied`): not those this batch already wrote,
    // which an earlier line counted.
    const counted = this.counted;
    let copies = 0;
    let merges = 0;
    for (let i = 0; i < c.keys.length; i++) {
      const s = stored[i];
      if (s === undefined && seen.get(c.keys[i]) === 1) {
        routes[i] = Route.Copy;
        copies++;
        continue;
      }
      // an unchanged line is left out only when it is its key's one line in the chunk: after another
      // (changed) line it is the later line, and must win in the merge
      if (s !== undefined && !s.ours && s.hash === c.hashes[i] && seen.get(c.keys[i]) === 1) routes[i] = Route.Skip;
      else {
        routes[i] = Route.Merge;
        merges++;
      }
      if (s === undefined || (!s.ours && !s.metKnown)) counted.key(c.keys[i]);
    }
    if (copies > 0) await this.stager.copy('records', pick(c.records, c.segments, (i) => routes[i] === Route.Copy));
    this.copied += copies;
    this.inserted += copies;
    const keys = counted.takeAll();
    if (keys.length > 0) await this.stager.copy('keys', keys);
    counted.recycle(keys);
    if (merges === 0) return;
    await this.trx.raw('TRUNCATE stg_a');
    await this.stager.copy('merge', pick(c.records, c.segments, (i) => routes[i] === Route.Merge));
    // A temp table has no statistics until analysed: without them the planner misjudges the anti-join.
    await this.trx.raw('ANALYZE stg_a');
    const { rows: [m] } = await this.trx.raw(MERGE_SQL, { category: this.meta.category, batchId: this.meta.id });
    this.inserted += Number(m.inserted);
    this.updated += Number(m.updated);
  }

  /** Before the batch's first write: the category's lock, and the outbox's view of the store as the batch found it. */
  private async startWriting(): Promise<void> {
    await lockCategoryWrites(this.trx, this.meta.category);
    // The outbox (store/events.ts): what the batch changes becomes credit_events rows in this transaction.
    this.events = await captureEvents(this.trx, this.meta);
  }

  /** Writes what is left (unless refused: then undoes what was written), the final status and counts, and commits. */
  async commit(close: SinkClose): Promise<MergeCounts & { phases: Record<string, number> }> {
    try {
      failpoint('batch.copy-end');
      const tail = performance.now();
      const mergeTimer = metrics.mergeDuration.startTimer({ category: this.meta.category });
      await this.nextChunk(!close.refusal);
      await this.writing;
      let counts: MergeCounts = { inserted: 0, updated: 0, unchanged: 0, duplicates: 0 };
      let withdrawn = 0;
      const at = { category: this.meta.category, deliveredBy: this.meta.deliveredBy, batchId: this.meta.id };
      if (close.refusal) {
        if (this.events !== undefined) for (const sql of UNDO_SQL) await this.trx.raw(sql, at);
      } else {
        if (this.events === undefined) await this.startWriting();
        if (this.copied > 0) {
          await this.trx.raw(COPIED_NOT_UPDATED_SQL);
          if (readsInsertions(this.meta.category)) await this.trx.raw(TOUCHED_BY_COPY_SQL, at);
        }
        if (this.meta.fullDelivery) withdrawn = (await this.trx.raw(WITHDRAW_SQL, at)).rows[0].withdrawn;
        await this.events!.write(withdrawn);
        const { rows: [k] } = await this.trx.raw('SELECT count(DISTINCT natural_key)::int AS n FROM stg_keys');
        const distinct = this.copied + k.n + (this.known?.distinct ?? 0);
        counts = {
          inserted: this.inserted, updated: this.updated,
          unchanged: distinct - this.inserted - this.updated, duplicates: this.accepted + this.knownRowCount - distinct,
        };
        failpoint('batch.merged');
      }
      mergeTimer();
      await this.trx('batches').where({ id: this.meta.id }).update({
        status: close.refusal ? 'refused' : 'loaded', finished_at: this.trx.fn.now(),
        sha256: close.sha256, size_bytes: close.sizeBytes, encoding: close.encoding, headers: pgJson(close.headers),
        read: close.read, accepted: close.accepted, rejected: close.rejected, warning_count: close.warningCount,
        warnings: pgJson(close.warnings), refusal: close.refusal ? pgJson(close.refusal) : null,
        ...counts, withdrawn,
      });
      if (close.corrections) await this.linkCorrection(close.corrections, !close.refusal);
      await this.meta.inTransaction?.(this.trx, { status: close.refusal ? 'refused' : 'loaded' });
      failpoint('batch.before-commit');
      await this.trx.commit();
      failpoint('batch.committed');
      if (counts.inserted + counts.updated + withdrawn >= ANALYZE_AFTER_ROWS) {
        // Autovacuum may be off (it is on this project's machines) or behind a bulk load: planned on
        // statistics of an empty table, reads of the store scan what they should probe (an evaluation
        // of 100k enterprises listed them by reading all 6M records for every page). A sample of
        // 30k rows takes about half a second on 6M. The batch is committed; a failure here costs only speed.
        await this.db.knex.raw('ANALYZE credit_records, credit_record_versions').catch(() => undefined);
      }
      this.phases.tail = performance.now() - tail;
      const total = performance.now() - this.started;
      // stream: reading and encoding the file until its last row, the writing of earlier chunks overlapping it
      return { ...counts, phases: { stream: Math.round(total - this.phases.tail), ...roundAll(this.phases) } };
    } catch (e) {
      await this.abandon(e as Error);
      throw e;
    }
  }

  /**
   * Records which batch this one corrects (named, or found from a corrected report's 行号: the unit's
   * latest batch of the category whose rejected rows include every line corrected here) and, when
   * the batch loaded, marks those rejected rows resolved by it.
   */
  private async linkCorrection(c: NonNullable<SinkClose['corrections']>, loaded: boolean): Promise<void> {
    const originals = c.lines.map(([o]) => o);
    let target = this.meta.corrects;
    if (target === undefined && c.fromReport && originals.length > 0) {
      const { rows } = await this.trx.raw(`
        SELECT b.id FROM (
          SELECT id, received_at FROM batches WHERE delivered_by = :unit AND category = :category AND id <> :id
            AND status IN ('loaded', 'refused') AND rejected > 0 ORDER BY received_at DESC LIMIT 50) b
        WHERE NOT EXISTS (SELECT 1 FROM unnest(:lines::int[]) u(line)
          WHERE NOT EXISTS (SELECT 1 FROM rejected_rows r WHERE r.batch_id = b.id AND r.line = u.line))
        ORDER BY b.received_at DESC LIMIT 1`, { unit: this.meta.deliveredBy, category: this.meta.category, id: this.meta.id, lines: originals });
      target = rows[0]?.id;
    }
    if (target === undefined) return;
    await this.trx('batches').where({ id: this.meta.id }).update({ corrects: target });
    if (!loaded || originals.length === 0) return;
    await this.trx.raw(`
      UPDATE rejected_rows r SET resolved_by = :id, resolved_line = u.new_line
      FROM unnest(:originals::int[], :lines::int[]) u(line, new_line)
      WHERE r.batch_id = :target AND r.line = u.line AND r.resolved_by IS NULL`,
    { id: this.meta.id, target, originals, lines: c.lines.map(([, l]) => l) });
    await this.trx.raw(RESOLVE_EARLIER_ROUNDS_SQL, { id: this.meta.id, target, reportLine: REPORT_LINE_COLUMN });
  }

  /** Rolls the transaction back, once the copy in progress is abandoned and the merge in flight has ended. */
  private async abandon(reason: Error): Promise<void> {
    await this.stager.abort(reason);
    await this.writing.catch(() => undefined);
    await this.trx.rollback().catch(() => undefined);
  }

  /** Rolls the batch back and records it as failed, with the error, in a transaction of its own. */
  async fail(error: Error, close: Partial<SinkClose>): Promise<void> {
    await this.abandon(error);
    const row = {
      category: this.meta.category, file_name: this.meta.fileName, delivered_by: this.meta.deliveredBy,
      status: 'failed', schema_version: this.meta.schemaVersion, received_at: this.meta.receivedAt, finished_at: this.db.knex.fn.now(),
      sha256: close.sha256 ?? null, size_bytes: close.sizeBytes ?? null, encoding: close.encoding ?? null,
      error: `${(error as any).code ?? error.name}: ${error.message}`.slice(0, 2000),
    };
    // A pre-registered (queued) batch's row becomes failed; nothing else is overwritten.
    await this.db.knex('batches').insert({ id: this.meta.id, ...row }).onConflict('id').merge(row).whereIn('batches.status', ['received', 'failed']);
  }
}

/**
 * Writes to one category's records run one transaction at a time: two batches touching the same
 * record cannot both miss the other's version when they copy the old one to history, and the
 * fingerprints a batch read (knownRows) stay true until it commits.
 */
export async function lockCategoryWrites(trx: Knex.Transaction, category: string): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`credit-etl merge ${category}`]);
}

/** A no-op write's promise: most rows fill no chunk and wait for nothing. */
const DONE = Promise.resolve();

const roundAll = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v)]));

/** The batch's row exists in a final state (loaded or refused): a duplicate run of a finished batch. */
export class BatchNotPendingError extends Error {
  readonly code = 'E_BATCH_NOT_PENDING';
  readonly retryable = false;
}

/**
 * Registers a queued upload's batch as `received` in a short transaction of its own, so its status
 * shows at once; the batch's own transaction adopts the row later (BatchLoad.begin).
 */
export async function registerBatch(db: Db, meta: Omit<BatchMeta, 'inTransaction'> & { readonly sizeBytes?: number; readonly sha256?: string; readonly upload?: unknown }): Promise<void> {
  await db.knex('batches').insert({
    id: meta.id, ...receivedRow(meta),
    size_bytes: meta.sizeBytes ?? null, sha256: meta.sha256 ?? null, upload: meta.upload === undefined ? null : JSON.stringify(meta.upload),
  });
}

/**
 * Outside a batch's transaction: a queued batch waiting for a retry goes back to `received` (keeping
 * the last error), or one that will not be retried becomes `failed`. Finished batches are left alone.
 */
export async function markUnfinished(db: Db, id: string, status: Extract<BatchStatus, 'received' | 'failed'>, error?: string): Promise<void> {
  await db.knex('batches').where({ id }).whereIn('status', ['received', 'failed']).update({
    status, finished_at: status === 'failed' ? db.knex.fn.now() : null, ...(error === undefined ? {} : { error: error.slice(0, 2000) }),
  });
}
