// The one list of connector kinds. Adding a kind: copy _template/, then add it here; the type of
// SourceConfig and the sources-file validation follow from this list.
import { dropFolder, type DropFolderConfig } from './drop-folder/index.ts';
import { SourceConfigError } from './errors.ts';
import { httpBulk, type HttpBulkConfig } from './http-bulk/index.ts';
import { httpEnterprise, type HttpEnterpriseConfig } from './http-enterprise/index.ts';
import { sourceDb, type SourceDbConfig } from './source-db/index.ts';
import type { Connector } from './types.ts';

export const CONNECTORS = [httpBulk, httpEnterprise, sourceDb, dropFolder] as const;

/** One configured source of any kind (an entry of the sources file, validated). */
export type SourceConfig = HttpBulkConfig | HttpEnterpriseConfig | SourceDbConfig | DropFolderConfig;
export type ConnectorKind = SourceConfig['kind'];

export const CONNECTOR_KINDS: readonly ConnectorKind[] = CONNECTORS.map((c) => c.kind as ConnectorKind);

/** The connector of a kind; an unknown kind is a configuration error. */
export function connectorFor(kind: string): Connector {
  const c = CONNECTORS.find((k) => k.kind === kind);
  if (!c) throw new SourceConfigError([`未知的连接器类型 unknown connector kind "${kind}" (known: ${CONNECTOR_KINDS.join(', ')})`]);
  return c as Connector;
}
