// Interface calls under enterprise authorisation (接口调用，经企业授权): the provider is asked about
// one enterprise at a time, and only about enterprises whose authorisation to the platform is in
// force for the category. The list is asked again after every checkpoint, so a grant revoked while
// a run is under way stops the calls within `checkpointEvery` enterprises. Each enterprise has its
// own watermark; a checkpoint every few enterprises lets a crashed run resume without fetching the
// finished enterprises' records again.
import { httpAuthSchema, type HttpAuth } from '../http/auth.ts';
import { createHttpClient, type HttpClient } from '../http/client.ts';
import { collectionRequired, collectionSchemaProperties, readIncremental, type CollectionSpec } from '../http/incremental.ts';
import { httpPolicySchema, type HttpPolicy } from '../http/policy.ts';
import { sourceSchema } from '../config-schema.ts';
import { MalformedPayloadError, ProviderRejectedError } from '../errors.ts';
import type { Connector, ConnectorContext, JsonValue, SourceConfigBase, SourceMessage, ProviderRecord } from '../types.ts';
import { parseWatermark, type Watermark } from '../watermark.ts';

export interface HttpEnterpriseConfig extends SourceConfigBase, CollectionSpec {
  readonly kind: 'http-enterprise';
  /** The enterprise's collection; `{uscc}` stands for the enterprise's unified social credit code. */
  readonly url: string;
  readonly auth: HttpAuth;
  readonly http?: Partial<HttpPolicy>;
  /** The provider answers 404 for an enterprise it has no account for: that is "no records", not an error. */
  readonly notFoundIsEmpty?: boolean;
  /** Enterprises between checkpoints, and between two looks at the authorisations (default 20). */
  readonly checkpointEvery?: number;
}

interface Cursor {
  readonly watermarks: Record<string, Watermark>;
}

export const httpEnterprise: Connector<HttpEnterpriseConfig> = {
  kind: 'http-enterprise',
  configSchema: sourceSchema('http-enterprise', {
    url: { type: 'string', pattern: '^https?://.*\\{uscc\\}' },
    auth: httpAuthSchema,
    http: httpPolicySchema,
    notFoundIsEmpty: { type: 'boolean' },
    checkpointEvery: { type: 'integer', minimum: 1 },
    ...collectionSchemaProperties,
  }, ['url', 'auth', ...collectionRequired]),

  async check(cfg, ctx) {
    // Proves URL, credentials and answer shape on the first authorised enterprise, if there is one.
    const [uscc] = await ctx.authorisedEnterprises(cfg.category);
    if (uscc === undefined) return;
    const pages = enterpriseRecords(createHttpClient(ctx, cfg), cfg, uscc, undefined);
    await pages.next();
    await pages.return(undefined);
  },

  read: (cfg, ctx, since) => read(cfg, ctx, since),
};

function parseCursor(raw: JsonValue | undefined, source: string): Record<string, Watermark> {
  if (raw === undefined || raw === null) return {};
  const c = raw as unknown as Partial<Cursor>;
  if (typeof c.watermarks !== 'object' || c.watermarks === null) {
    throw new MalformedPayloadError(`数据源 ${source} 的断点格式无法识别`, `source ${source}: unreadable cursor`, { source });
  }
  const out: Record<string, Watermark> = {};
  for (const [uscc, w] of Object.entries(c.watermarks)) out[uscc] = parseWatermark(w, source)!;
  return out;
}

async function* enterpriseRecords(http: HttpClient, cfg: HttpEnterpriseConfig, uscc: string, since: Watermark | undefined) {
  const url = new URL(cfg.url.replace('{uscc}', encodeURIComponent(uscc)));
  try {
    yield* readIncremental(http, url, cfg, since, cfg.id);
  } catch (e) {
    if (!(cfg.notFoundIsEmpty && e instanceof ProviderRejectedError && e.details.status === 404)) throw e;
  }
}

async function* read(cfg: HttpEnterpriseConfig, ctx: ConnectorContext, since: JsonValue | undefined): AsyncGenerator<SourceMessage> {
  const http = createHttpClient(ctx, cfg);
  const watermarks = parseCursor(since, cfg.id);
  const every = cfg.checkpointEvery ?? 20;
  const order = await ctx.authorisedEnterprises(cfg.category);
  let allowed = new Set(order);
  let sinceCheck = 0;
  let pending = false;
  const checkpoint = (): SourceMessage => ({ kind: 'checkpoint', cursor: { watermarks: { ...watermarks } } as unknown as JsonValue });
  for (const uscc of order) {
    if (!allowed.has(uscc)) {
      ctx.log.info({ source: cfg.id, uscc }, 'authorisation no longer in force; not called');
      continue;
    }
    const rows: ProviderRecord[] = [];
    for await (const page of enterpriseRecords(http, cfg, uscc, watermarks[uscc])) {
      rows.push(...page.rows);
      if (page.watermark) watermarks[uscc] = page.watermark;
    }
    // One enterprise's records are yielded together: a checkpoint never splits them.
    if (rows.length) {
      yield { kind: 'rows', rows };
      pending = true;
    }
    if (++sinceCheck < every) continue;
    sinceCheck = 0;
    if (pending) yield checkpoint();
    pending = false;
    // Everything yielded is committed now, so the store is free to be asked again (see
    // ConnectorContext.authorisedEnterprises): a grant revoked during the run stops the calls from here on.
    allowed = new Set(await ctx.authorisedEnterprises(cfg.category));
  }
  if (pending) yield checkpoint();
}
