// Runs one configured source: reads the connector's messages from the saved cursor and loads them
// through the same pipeline as a CSV delivery: the rows up to each checkpoint as one batch (field
// names mapped to schema keys), a delivered file as a batch of its own. Each batch's ledger line and
// the cursor it reached commit in the batch's own transaction, and the next message is pulled only
// after that commit, so a crash at any point loses nothing and loads nothing twice: the next attempt
// resumes from the last committed cursor.
import { randomUUID } from 'node:crypto';
import { schemaKeys, toSchemaRecord } from '../connectors/field-mapping.ts';
import type { Connector, JsonValue, SourceConfigBase, SourceMessage } from '../connectors/types.ts';
import { budgetFor, type ErrorBudgets } from '../pipelines/error-budget.ts';
import { failpoint } from '../lib/failpoints.ts';
import type { Logger } from '../lib/logger.ts';
import { rowsSource, type BatchReport } from '../pipelines/run-batch.ts';
import { category as categorySpec, findProviderUnit } from '../schemas/registry.ts';
import { recordSkips, type CollectionSkip } from '../store/collection-skips.ts';
import type { Db } from '../store/db.ts';
import { SourceConfigError } from '../connectors/errors.ts';
import { connectorContext } from './connector-context.ts';
import { BatchRefusedError } from './failures.ts';
import { ingestFile, ingestSource, type DeliveryOptions } from '../ingest/ingest-file.ts';
import { advanceCursor, readCursor, recordBatch } from '../store/ledger.ts';

export class RunAbortedError extends Error {
  readonly code = 'E_RUN_ABORTED';
  readonly retryable = true;
}

export interface RunSourceOptions {
  readonly db: Db;
  readonly log: Logger;
  readonly runId: string;
  readonly signal: AbortSignal;
  /** Where the connector reads the secrets its configuration names. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Each category's default error budget (a source's own errorBudget comes first). */
  readonly budgets?: ErrorBudgets;
}

export interface SourceRunResult {
  readonly batches: number;
  readonly rows: number;
}

export async function runSource(source: SourceConfigBase, connector: Connector, opts: RunSourceOptions): Promise<SourceRunResult> {
  const { db, runId, signal } = opts;
  const log = opts.log.child({ category: source.category });
  const spec = categorySpec(source.category);
  const deliverer = findProviderUnit(source.provider);
  if (!deliverer) throw new SourceConfigError([`source "${source.id}" names an unknown provider unit "${source.provider}"`]);
  let batchOpen = false;
  const skips: CollectionSkip[] = [];
  const ctx = connectorContext({
    db, log, signal, env: opts.env, batchOpen: () => batchOpen,
    skipped: (key, e) => void skips.push({ sourceId: source.id, key, code: e.code, message: e.message }),
  });

  let saved = await readCursor(db, source.id);
  const messages = connector.read(source, ctx, saved)[Symbol.asyncIterator]();
  // The connector's own error, kept so its code and retryable survive runBatch (which keeps only the message).
  let connectorError: unknown;
  let held: SourceMessage | undefined;
  const pull = async (): Promise<SourceMessage | undefined> => {
    if (held) {
      const m = held;
      held = undefined;
      return m;
    }
    try {
      const r = await messages.next();
      return r.done ? undefined : r.value;
    } catch (e) {
      connectorError = e;
      throw e;
    }
  };

  let batches = 0;
  let rows = 0;
  /** One batch; `cursor` is what it covers (undefined: rows after the last checkpoint, covered by none). */
  const load = async (ingest: (delivery: DeliveryOptions) => Promise<BatchReport>, covered: () => { cursor: JsonValue | undefined; rows?: number }) => {
    const batchId = randomUUID();
    batchOpen = true;
    const report = await ingest({
      category: spec, deliverer, batchId, name: `${source.id} from ${JSON.stringify(saved ?? null)}`,
      ...budgetFor(opts.budgets, source.category, source.errorBudget),
      inTransaction: async (trx, outcome) => {
        const c = covered();
        // A file's rows are the records it holds, which only the pipeline has counted.
        const yielded = c.rows ?? (await trx('batches').where({ id: batchId }).first('read')).read;
        await recordBatch(trx, { runId, sourceId: source.id, batchId, rowsYielded: yielded, cursor: outcome.status === 'loaded' ? c.cursor : undefined });
      },
    }).finally(() => {
      batchOpen = false;
    });
    if (report.status === 'failed') throw connectorError ?? new Error(report.error ?? `batch ${batchId} failed`);
    if (report.status === 'refused') {
      throw new BatchRefusedError(`batch ${batchId} refused (${report.refusal?.code}: ${report.refusal?.messageEn}); the cursor stays before it`);
    }
    const c = covered();
    if (c.cursor !== undefined) saved = c.cursor;
    batches++;
    rows += report.read;
    log.info({ batchId, read: report.read, inserted: report.inserted, updated: report.updated, cursor: saved }, 'batch committed');
    failpoint('source.batch-committed');
  };

  const keys = schemaKeys(source.category);
  try {
    await loadAll();
  } finally {
    // However the run ends, the connector's own finally blocks run (open connections, pending requests).
    await messages.return?.(undefined).catch(() => undefined);
    await recordSkips(db, runId, skips);
  }
  return { batches, rows };

  async function loadAll() {
    for (;;) {
      if (signal.aborted) throw new RunAbortedError(`stopped before ${source.id}'s next batch; the next attempt resumes from its cursor`);
      const m = await pull();
      if (!m) break;
      if (m.kind === 'checkpoint') {
        // Nothing new before it: the cursor moves on its own.
        if (JSON.stringify(m.cursor) !== JSON.stringify(saved ?? null)) await advanceCursor(db, { runId, sourceId: source.id, cursor: m.cursor });
        saved = m.cursor;
      } else if (m.kind === 'file') {
        await load((d) => ingestFile(db, { ...d, file: m.path, name: m.name }, { log }), () => ({ cursor: m.cursor }));
      } else if (m.rows.length) {
        held = m;
        let yielded = 0;
        let reached: JsonValue | undefined;
        async function* segment() {
          for (let s = await pull(); s; s = await pull()) {
            if (s.kind === 'checkpoint') {
              reached = s.cursor;
              return;
            }
            if (s.kind === 'file') {
              held = s;
              return;
            }
            for (const r of s.rows) {
              yielded++;
              yield toSchemaRecord(source, r);
            }
          }
        }
        await load((d) => ingestSource(db, rowsSource(keys, segment()), d, { log }), () => ({ cursor: reached, rows: yielded }));
      }
    }
  }
}
