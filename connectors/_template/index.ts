// TEMPLATE: copy this folder to add a connector kind (see README.md). It is a complete, tested
// connector of its own: a JSON file holding an array of records, read incrementally by an
// updated-at field with the record id as tie-breaker. Replace the reading, keep the shape.
import { readFile } from 'node:fs/promises';
import { sourceSchema } from '../config-schema.ts';
import { MalformedPayloadError, ProviderUnavailableError } from '../errors.ts';
import type { Connector, ConnectorContext, JsonValue, SourceConfigBase, SourceMessage, ProviderRecord } from '../types.ts';
import { advance, covered, parseWatermark } from '../watermark.ts';

/** The kind's fields in the sources file, on top of SourceConfigBase. */
export interface JsonFileConfig extends SourceConfigBase {
  readonly kind: 'template-json-file';
  readonly file: string;
  readonly idField: string;
  readonly cursorField: string;
}

/** Rows between checkpoints: a crash costs at most this many rows read again by the source. */
const CHUNK = 100;

async function records(cfg: JsonFileConfig): Promise<ProviderRecord[]> {
  let text: string;
  try {
    text = await readFile(cfg.file, 'utf8');
  } catch (e) {
    throw new ProviderUnavailableError(`文件 ${cfg.file} 无法读取`, `file ${cfg.file} cannot be read: ${(e as Error).message}`, { source: cfg.id });
  }
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new MalformedPayloadError(`文件 ${cfg.file} 不是记录数组`, `file ${cfg.file} is not an array of records`, { source: cfg.id });
  return parsed as ProviderRecord[];
}

async function* read(cfg: JsonFileConfig, ctx: ConnectorContext, since: JsonValue | undefined): AsyncGenerator<SourceMessage> {
  ctx.signal.throwIfAborted();
  let wm = parseWatermark(since, cfg.id);
  // Each record's cursor value and id, taken once (the sort compares them many times).
  const fresh = (await records(cfg))
    .map((record) => ({ record, value: String(record[cfg.cursorField]), id: String(record[cfg.idField]) }))
    .filter((k) => !covered(wm, k.value, k.id))
    .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : a.id < b.id ? -1 : 1));
  for (let i = 0; i < fresh.length; i += CHUNK) {
    const chunk = fresh.slice(i, i + CHUNK);
    wm = advance(wm, chunk, cfg.id);
    yield { kind: 'rows', rows: chunk.map((k) => k.record) };
    yield { kind: 'checkpoint', cursor: wm as unknown as JsonValue };
  }
}

export const jsonFile: Connector<JsonFileConfig> = {
  kind: 'template-json-file',
  configSchema: sourceSchema('template-json-file', {
    file: { type: 'string', minLength: 1 },
    idField: { type: 'string', minLength: 1 },
    cursorField: { type: 'string', minLength: 1 },
  }, ['file', 'idField', 'cursorField']),
  async check(cfg) {
    await records(cfg);
  },
  read: (cfg, ctx, since) => read(cfg, ctx, since),
};
