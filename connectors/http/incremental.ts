// Reads an HTTP collection incrementally by an updated-since watermark, page after page, whatever
// the provider's paging style. Page and offset paging restart from the first page at the moved
// watermark after every page (keyset paging through the since parameter), so records that change
// while we read and move to the end cannot shift an unread record past us; they only step through
// pages while the whole page ties on one cursor value. Continuation tokens are the provider's own
// position and are followed as given.
import { MalformedPayloadError } from '../errors.ts';
import type { ProviderRecord } from '../types.ts';
import { advance, covered, type CursorValue, type Watermark } from '../watermark.ts';
import type { HttpClient } from './client.ts';

export type Pagination =
  | { readonly style: 'page'; readonly pageParam: string; readonly sizeParam: string; readonly size: number; readonly firstPage?: number }
  | { readonly style: 'offset'; readonly offsetParam: string; readonly sizeParam: string; readonly size: number }
  | { readonly style: 'token'; readonly tokenParam: string; readonly sizeParam: string; readonly size: number; readonly nextTokenPath: string };

/** How a source's collection is asked for and what its answers look like. */
export interface CollectionSpec {
  readonly sinceParam: string;
  readonly pagination: Pagination;
  /** Dotted path of the records array in the answer ('' for an answer that is the array). */
  readonly recordsPath: string;
  /** The provider's record id and last-updated fields (the watermark's tie-breaker and value). */
  readonly idField: string;
  readonly cursorField: string;
}

const name = { type: 'string', minLength: 1 } as const;
const size = { type: 'integer', minimum: 1, maximum: 10_000 } as const;
export const collectionSchemaProperties = {
  sinceParam: name,
  recordsPath: { type: 'string' },
  idField: name,
  cursorField: name,
  pagination: {
    oneOf: [
      { type: 'object', additionalProperties: false, required: ['style', 'pageParam', 'sizeParam', 'size'],
        properties: { style: { const: 'page' }, pageParam: name, sizeParam: name, size, firstPage: { type: 'integer', minimum: 0 } } },
      { type: 'object', additionalProperties: false, required: ['style', 'offsetParam', 'sizeParam', 'size'],
        properties: { style: { const: 'offset' }, offsetParam: name, sizeParam: name, size } },
      { type: 'object', additionalProperties: false, required: ['style', 'tokenParam', 'sizeParam', 'size', 'nextTokenPath'],
        properties: { style: { const: 'token' }, tokenParam: name, sizeParam: name, size, nextTokenPath: { type: 'string' } } },
    ],
  },
} as const;
export const collectionRequired = ['sinceParam', 'recordsPath', 'idField', 'cursorField', 'pagination'] as const;

function at(body: unknown, path: string): unknown {
  return path === '' ? body : path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), body);
}

interface Keyed {
  readonly record: ProviderRecord;
  readonly value: CursorValue;
  readonly id: string;
}

function keyed(raw: unknown, spec: CollectionSpec, source: string): Keyed {
  const r = raw as Record<string, unknown>;
  const id = r?.[spec.idField];
  const value = r?.[spec.cursorField];
  if (typeof raw !== 'object' || raw === null || (typeof id !== 'string' && typeof id !== 'number') || (typeof value !== 'string' && typeof value !== 'number')) {
    throw new MalformedPayloadError(`数据源 ${source} 的记录缺少 ${spec.idField} 或 ${spec.cursorField}`,
      `source ${source}: a record lacks ${spec.idField} or ${spec.cursorField}`, { source, record: JSON.stringify(raw)?.slice(0, 200) });
  }
  return { record: r, value, id: String(id) };
}

export interface Page {
  readonly rows: readonly ProviderRecord[];
  /** Covers these rows and everything read before them. */
  readonly watermark: Watermark | undefined;
}

/** The records changed since the watermark, page by page, each with the watermark that covers it. */
export async function* readIncremental(client: HttpClient, url: URL, spec: CollectionSpec, since: Watermark | undefined, source: string): AsyncGenerator<Page> {
  const p = spec.pagination;
  let wm = since;
  const tokenSince = since?.value;
  let step = 0;
  let token: string | undefined;
  for (;;) {
    const u = new URL(url);
    const sinceValue = p.style === 'token' ? tokenSince : wm?.value;
    if (sinceValue !== undefined) u.searchParams.set(spec.sinceParam, String(sinceValue));
    u.searchParams.set(p.sizeParam, String(p.size));
    if (p.style === 'page') u.searchParams.set(p.pageParam, String((p.firstPage ?? 1) + step));
    if (p.style === 'offset') u.searchParams.set(p.offsetParam, String(step * p.size));
    if (p.style === 'token' && token !== undefined) u.searchParams.set(p.tokenParam, token);

    const body = await client.getJson(u);
    const list = at(body, spec.recordsPath);
    if (!Array.isArray(list)) {
      throw new MalformedPayloadError(`数据源 ${source} 的应答中 ${spec.recordsPath || '（根）'} 不是记录数组`,
        `source ${source}: ${spec.recordsPath || 'the answer'} is not an array of records`, { source, url: u.toString() });
    }
    const fresh = list.map((r) => keyed(r, spec, source)).filter((k) => !covered(wm, k.value, k.id));
    const before = wm?.value;
    wm = advance(wm, fresh, source);
    if (fresh.length) yield { rows: fresh.map((k) => k.record), watermark: wm };

    if (p.style === 'token') {
      const next = at(body, p.nextTokenPath);
      if (next === undefined || next === null || next === '') return;
      if (typeof next !== 'string') {
        throw new MalformedPayloadError(`数据源 ${source} 的续页标记不是字符串`, `source ${source}: the continuation token is not a string`, { source });
      }
      token = next;
    } else {
      if (list.length < p.size) return;
      step = wm?.value === before ? step + 1 : 0;
    }
  }
}
