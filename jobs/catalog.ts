// What the jobs need to know about sources: the configured sources, the connector of each kind and
// the environment their secrets come from. The CLI builds it from the sources file and the connector
// registry; tests may build their own.
import { connectorFor } from '../connectors/registry.ts';
import { loadSources } from '../connectors/sources.ts';
import { SourceConfigError } from '../connectors/errors.ts';
import type { Connector, SourceConfigBase } from '../connectors/types.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface SourceCatalog {
  readonly sources: readonly SourceConfigBase[];
  /** Throws a terminal error (code E_SOURCE_CONFIG) for a kind no connector implements. */
  connector(kind: string): Connector;
  readonly env?: Env;
}

/** The sources file, validated at start-up (every problem at once), with the registry's connectors. */
export function loadCatalog(sourcesFile: string, env: Env): SourceCatalog {
  return { sources: loadSources(sourcesFile, env), connector: connectorFor, env };
}

export function resolveSource(catalog: SourceCatalog, sourceId: string): { source: SourceConfigBase; connector: Connector } {
  const source = catalog.sources.find((s) => s.id === sourceId);
  // A run queued before the sources file lost this source.
  if (!source) throw new SourceConfigError([`unknown source "${sourceId}" (known: ${catalog.sources.map((s) => s.id).join(', ')})`]);
  return { source, connector: catalog.connector(source.kind) };
}
