// Small helpers for tests and the demo: the demo sources wired to running stand-ins, and a read
// collected whole.
import pino, { type Logger } from 'pino';
import { connectorFor, type SourceConfig } from '../../connectors/registry.ts';
import { readFileSync } from 'node:fs';
import { DEMO_SOURCES_FILE, parseSources, sourceById } from '../../connectors/sources.ts';
import type { ConnectorContext, JsonValue, SourceMessage, ProviderRecord } from '../../connectors/types.ts';
import type { StandIns } from './stand-ins.ts';

/**
 * The demo sources file resolved against the stand-ins' endpoints and secrets only; without the
 * source-database stand-in (embedded demo), without the source that reads it.
 */
export function demoSources(s: Pick<StandIns, 'env' | 'sourceDb'>): readonly SourceConfig[] {
  const content = JSON.parse(readFileSync(DEMO_SOURCES_FILE, 'utf8')) as { sources: { kind: string }[] };
  const sources = s.sourceDb ? content.sources : content.sources.filter((x) => x.kind !== 'source-db');
  return parseSources({ ...content, sources }, s.env);
}

/** One demo source, with overrides (e.g. short retry delays, small pages). */
export function demoSource<T extends SourceConfig = SourceConfig>(s: Pick<StandIns, 'env' | 'sourceDb'>, id: string, overrides: Partial<T> = {}): T {
  return { ...(sourceById(demoSources(s), id) as T), ...overrides };
}

/** A context for sources that never ask about authorisations (bulk, database, folder). */
export function plainContext(env: Readonly<Record<string, string | undefined>>, log: Logger = pino({ level: 'silent' })): ConnectorContext {
  return {
    log, env, signal: new AbortController().signal, now: () => new Date(),
    authorisedEnterprises: () => Promise.reject(new Error('a bulk source does not ask about authorisations')),
  };
}

export interface ReadResult {
  readonly messages: readonly SourceMessage[];
  readonly rows: readonly ProviderRecord[];
  /** The last cursor (of a checkpoint or file message); `since` when there was none. */
  readonly cursor: JsonValue | undefined;
}

export async function readAll(cfg: SourceConfig, ctx: ConnectorContext, since?: JsonValue): Promise<ReadResult> {
  const messages: SourceMessage[] = [];
  for await (const m of connectorFor(cfg.kind).read(cfg, ctx, since)) messages.push(m);
  let cursor = since;
  for (const m of messages) if (m.kind !== 'rows') cursor = m.cursor;
  return { messages, rows: messages.flatMap((m) => (m.kind === 'rows' ? m.rows : [])), cursor };
}

/** A logger that keeps its records, to see what a connector decided (retries, waits). */
export function recordingLogger(): { log: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line)) });
  return { log, records };
}
