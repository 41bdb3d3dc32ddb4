// The connector contract (Singer-shaped): a connector yields rows and checkpoints and nothing else.
// It never validates and never writes the store; the runner (jobs/) applies the source's field
// mapping, feeds the rows through the same pipeline as a CSV batch (ingest/ingest-file.ts
// ingestSource + pipelines/run-batch.ts rowsSource), and saves a checkpoint's cursor in the same
// transaction as the rows before it, and pulls the next message only once that is committed (a
// connector may act on a committed checkpoint when it resumes, e.g. move a delivered file aside).
import type { ErrorBudget } from '../pipelines/error-budget.ts';
import type { Logger } from '../lib/logger.ts';
import type { ConnectorError } from './errors.ts';
import type { CategoryId } from '../schemas/registry.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** One record as the provider's system names its fields (before the source's field mapping): not yet a BatchInput. */
export type ProviderRecord = Readonly<Record<string, unknown>>;

export type SourceMessage =
  | { readonly kind: 'rows'; readonly rows: readonly ProviderRecord[] }
  /** Everything yielded before this is covered by `cursor`: resume from it next time. */
  | { readonly kind: 'checkpoint'; readonly cursor: JsonValue }
  /**
   * A whole delivered CSV file (drop folders): the runner ingests it as one batch the way
   * `credit-etl ingest` does (ingest/ingest-file.ts ingestFile: encoding detection, the file's own
   * headers and line numbers in the rejection report) and commits `cursor` in that batch's transaction.
   */
  | { readonly kind: 'file'; readonly path: string; readonly name: string; readonly sha256: string; readonly cursor: JsonValue };

export interface ConnectorContext {
  readonly log: Logger;
  readonly signal: AbortSignal;
  now(): Date;
  /**
   * Enterprises whose authorisation to the platform is in force now for this category (per-enterprise
   * connectors call only these). It reads the store, so ask it only where everything yielded so far is
   * covered by a checkpoint: in between, the runner may hold the store's one connection (embedded
   * PGlite) in the batch's transaction.
   */
  authorisedEnterprises(category: CategoryId): Promise<readonly string[]>;
  /** Where the secrets named in a source's configuration are read from; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * One key (a per-enterprise source: an enterprise) the connector could not read and went on from;
   * the runner keeps it against the run. Absent: the connector only logs it.
   */
  skipped?(key: string, error: ConnectorError): void;
}

/** What every source has in the sources file; each kind adds its own fields (its configSchema). */
export interface SourceConfigBase {
  /** stable id of the configured source, e.g. "water-utility-api" */
  readonly id: string;
  /** the connector kind, e.g. "http-bulk" */
  readonly kind: string;
  readonly category: CategoryId;
  /** the delivering provider unit (id, name or alias of schemas/provider-units.json) */
  readonly provider: string;
  /** cron pattern in Asia/Shanghai, e.g. "0 30 1 * * *" */
  readonly schedule: string;
  /** source field name -> schema field key, where the source's names differ */
  readonly fieldMapping?: Readonly<Record<string, string>>;
  /** This source's error budget; default the category's from configuration (pipelines/error-budget.ts). */
  readonly errorBudget?: ErrorBudget;
}

export interface Connector<Cfg extends SourceConfigBase = SourceConfigBase> {
  readonly kind: string;
  /** JSON Schema of Cfg; secrets are never in the file, only names of environment variables. */
  readonly configSchema: Readonly<Record<string, unknown>>;
  /** Can the source be reached with this configuration? Throws a typed error if not. */
  check(cfg: Cfg, ctx: ConnectorContext): Promise<void>;
  /** Rows since the cursor (undefined: from the beginning), with checkpoints. */
  read(cfg: Cfg, ctx: ConnectorContext, since: JsonValue | undefined): AsyncIterable<SourceMessage>;
}
