// What the jobs need to know about sources: the configured sources, the connector of each kind and
// the environment their secrets come from. The CLI builds it from the sources file and the connector
// registry; tests may build their own.
import { connectorFor } from '../connectors/registry.ts';
import { loadSources } from '../connectors/sources.ts';
import { SourceConfigError } from '../connectors/errors.ts';
import type { Connector, SourceConfigBase } from '../connectors/types.ts';
import { ERROR_BUDGET_ENV, parseErrorBudgets, type ErrorBudgets } from '../pipelines/error-budget.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface SourceCatalog {
  readonly sources: readonly SourceConfigBase[];
  /** Throws a terminal error (code E_SOURCE_CONFIG) for a kind no connector implements. */
  connector(kind: string): Connector;
  readonly env?: Env;
  /** Each category's default error budget, for sources that set none of their own. */
  readonly budgets?: ErrorBudgets;
}

/** The sources file, validated at start-up (every problem at once), with the registry's connectors. */
export function loadCatalog(sourcesFile: string, env: Env): SourceCatalog {
  const sources = loadSources(sourcesFile, env);
  let budgets: ErrorBudgets;
  try {
    budgets = parseErrorBudgets(env[ERROR_BUDGET_ENV]);
  } catch (e) {
    throw new SourceConfigError([(e as Error).message]);
  }
  return { sources, connector: connectorFor, env, budgets };
}

export function resolveSource(catalog: SourceCatalog, sourceId: string): { source: SourceConfigBase; connector: Connector } {
  const source = catalog.sources.find((s) => s.id === sourceId);
  // A run queued before the sources file lost this source.
  if (!source) throw new SourceConfigError([`unknown source "${sourceId}" (known: ${catalog.sources.map((s) => s.id).join(', ')})`]);
  return { source, connector: catalog.connector(source.kind) };
}
