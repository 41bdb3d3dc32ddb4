// Bulk delivery (物理归集) over a provider's JSON API: the whole collection changed since the last
// run, page by page, a checkpoint after every page so a crash resumes where it stopped.
import { httpAuthSchema, type HttpAuth } from '../http/auth.ts';
import { createHttpClient } from '../http/client.ts';
import { collectionRequired, collectionSchemaProperties, readIncremental, type CollectionSpec } from '../http/incremental.ts';
import { httpPolicySchema, type HttpPolicy } from '../http/policy.ts';
import { sourceSchema } from '../config-schema.ts';
import type { Connector, ConnectorContext, JsonValue, SourceConfigBase, SourceMessage } from '../types.ts';
import { parseWatermark } from '../watermark.ts';

export interface HttpBulkConfig extends SourceConfigBase, CollectionSpec {
  readonly kind: 'http-bulk';
  /** The collection's URL, with any fixed query parameters. */
  readonly url: string;
  readonly auth: HttpAuth;
  readonly http?: Partial<HttpPolicy>;
}

export const httpBulk: Connector<HttpBulkConfig> = {
  kind: 'http-bulk',
  configSchema: sourceSchema('http-bulk', {
    url: { type: 'string', format: 'uri', pattern: '^https?://' },
    auth: httpAuthSchema,
    http: httpPolicySchema,
    ...collectionSchemaProperties,
  }, ['url', 'auth', ...collectionRequired]),

  async check(cfg, ctx) {
    await first(read(cfg, ctx, undefined, 1));
  },

  read: (cfg, ctx, since) => read(cfg, ctx, since),
};

async function* read(cfg: HttpBulkConfig, ctx: ConnectorContext, since: JsonValue | undefined, pageSize?: number): AsyncGenerator<SourceMessage> {
  const client = createHttpClient(ctx, cfg);
  const spec = pageSize ? { ...cfg, pagination: { ...cfg.pagination, size: pageSize } } : cfg;
  for await (const page of readIncremental(client, new URL(cfg.url), spec, parseWatermark(since, cfg.id), cfg.id)) {
    yield { kind: 'rows', rows: page.rows };
    yield { kind: 'checkpoint', cursor: page.watermark as unknown as JsonValue };
  }
}

/** check(): one small page is enough to prove URL, credentials and answer shape. */
async function first(messages: AsyncGenerator<SourceMessage>): Promise<void> {
  await messages.next();
  await messages.return(undefined);
}
