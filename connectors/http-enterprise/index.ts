// Interface calls under enterprise authorisation (接口调用，经企业授权): the provider is asked about
// one enterprise at a time, and only about enterprises whose authorisation to the platform is in
// force for the category. The list is asked again after every checkpoint, so a grant revoked while
// a run is under way stops the calls within `checkpointEvery` enterprises. Each enterprise has its
// own watermark; a checkpoint every few enterprises lets a crashed run resume without fetching the
// finished enterprises' records again. A refusal for one enterprise (a 4xx other than 401/403, or an
// answer that is not what the configuration describes) is recorded against that enterprise and the
// run goes on; the source fails only when the refused share of the enterprises called is above
// `maxRefusedShare`. A provider that is down, or credentials it refuses, stop the run as before.
import { httpAuthSchema, type HttpAuth } from '../http/auth.ts';
import { createHttpClient, type HttpClient } from '../http/client.ts';
import { collectionRequired, collectionSchemaProperties, readIncremental, type CollectionSpec } from '../http/incremental.ts';
import { httpPolicySchema, type HttpPolicy } from '../http/policy.ts';
import { sourceSchema } from '../config-schema.ts';
import { ConnectorError, MalformedPayloadError, ProviderRejectedError } from '../errors.ts';
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
  /** The share of enterprises called whose requests may be refused before the source fails (default 0.2). */
  readonly maxRefusedShare?: number;
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
    maxRefusedShare: { type: 'number', minimum: 0, maximum: 1 },
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
  let called = 0;
  const refused: { uscc: string; code: string }[] = [];
  const checkpoint = (): SourceMessage => ({ kind: 'checkpoint', cursor: { watermarks: { ...watermarks } } as unknown as JsonValue });
  for (const uscc of order) {
    if (!allowed.has(uscc)) {
      ctx.log.info({ source: cfg.id, uscc }, 'authorisation no longer in force; not called');
      continue;
    }
    const rows: ProviderRecord[] = [];
    const before = watermarks[uscc];
    called++;
    try {
      for await (const page of enterpriseRecords(http, cfg, uscc, before)) {
        rows.push(...page.rows);
        if (page.watermark) watermarks[uscc] = page.watermark;
      }
    } catch (e) {
      if (!refusedForOne(e)) throw e;
      // Nothing of this enterprise is kept from this run: its watermark stays where it was, so the next run asks again.
      rows.length = 0;
      if (before === undefined) delete watermarks[uscc];
      else watermarks[uscc] = before;
      refused.push({ uscc, code: e.code });
      ctx.log.warn({ source: cfg.id, uscc, code: e.code, err: e.messageEn }, 'provider refused this enterprise; the run goes on');
      ctx.skipped?.(uscc, e);
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
  const share = called ? refused.length / called : 0;
  if (share > (cfg.maxRefusedShare ?? 0.2)) {
    throw new ProviderRejectedError(
      `数据源 ${cfg.id} 拒绝了 ${called} 家企业中 ${refused.length} 家的请求，超过允许比例；其余企业的数据已入库`,
      `source ${cfg.id} refused the requests for ${refused.length} of ${called} enterprises, above the share allowed; the others' records are loaded`,
      { source: cfg.id, refused },
    );
  }
}

/** A refusal that concerns this enterprise's request alone; credentials refused (401/403) concern them all. */
const refusedForOne = (e: unknown): e is ConnectorError =>
  (e instanceof ProviderRejectedError || e instanceof MalformedPayloadError) && (e as ConnectorError).code !== 'E_PROVIDER_AUTH';
