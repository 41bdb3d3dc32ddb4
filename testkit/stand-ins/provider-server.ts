// One provider's API as a real HTTP server on 127.0.0.1: credentials checked, the records changed
// since a time (inclusive) in (updated, id) order, paged the provider's way, faults injected on
// demand, every call recorded.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiDef } from './apis.ts';
import type { Dataset, StoredRecord } from './dataset.ts';
import type { CallLog, FaultQueue } from './faults.ts';

const MAX_PAGE = 500;

export interface ProviderServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The record as the provider's API spells it: its own field names, ids and timestamps, JSON numbers and booleans where it uses them. */
export function providerRecord(def: ApiDef, r: StoredRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { [def.idField]: r.id, [def.cursorField]: r.updated };
  for (const [key, name] of Object.entries(def.names)) {
    const v = r.canonical[key] ?? '';
    out[name] = v === '' ? null : def.numbers?.includes(key) ? Number(v) : def.booleans?.includes(key) ? v === '是' : v;
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = target;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  o[keys.at(-1)!] = value;
}

const encodeToken = (r: StoredRecord) => Buffer.from(JSON.stringify([r.updated, r.id])).toString('base64url');
function decodeToken(t: string): [string, string] | undefined {
  try {
    const v = JSON.parse(Buffer.from(t, 'base64url').toString('utf8'));
    return Array.isArray(v) && v.length === 2 ? (v as [string, string]) : undefined;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** The page the request asks for, or an error message for a request the provider refuses (400). */
function pageOf(def: ApiDef, q: URLSearchParams, rows: StoredRecord[]): { body: Record<string, unknown> } | { error: string } {
  const p = def.pagination;
  const size = Number(q.get(p.sizeParam) ?? p.size);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) return { error: `${p.sizeParam} must be 1..${MAX_PAGE}` };
  const body: Record<string, unknown> = { total: rows.length };
  let slice: StoredRecord[];
  if (p.style === 'token') {
    const token = q.get(p.tokenParam);
    const after = token ? decodeToken(token) : undefined;
    if (token && !after) return { error: `invalid ${p.tokenParam}` };
    const from = after ? rows.findIndex((r) => r.updated > after[0] || (r.updated === after[0] && r.id > after[1])) : 0;
    slice = from < 0 ? [] : rows.slice(from, from + size);
    const more = from >= 0 && from + size < rows.length;
    setPath(body, p.nextTokenPath, more ? encodeToken(slice.at(-1)!) : null);
  } else {
    const n = Number(q.get(p.style === 'page' ? p.pageParam : p.offsetParam) ?? (p.style === 'page' ? (p.firstPage ?? 1) : 0));
    const offset = p.style === 'page' ? (n - (p.firstPage ?? 1)) * size : n;
    if (!Number.isInteger(offset) || offset < 0) return { error: 'invalid page or offset' };
    slice = rows.slice(offset, offset + size);
  }
  setPath(body, def.recordsPath, slice.map((r) => providerRecord(def, r)));
  return { body };
}

export async function startProviderServer(def: ApiDef, data: Dataset, faults: FaultQueue, calls: CallLog, opts: { host: string; port: number; knows: (uscc: string) => boolean }): Promise<ProviderServer> {
  const pattern = new RegExp(`^${def.path.replace('{uscc}', '([^/]+)')}$`);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const m = pattern.exec(url.pathname);
    const uscc = m?.[1] === undefined ? undefined : decodeURIComponent(m[1]);
    const call = calls.record({ api: def.id, method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), uscc, status: 0, at: new Date().toISOString() });
    res.on('finish', () => (call.status = res.statusCode));
    if (!m || req.method !== 'GET') return send(res, 404, { error: 'no such resource' });
    const presented = req.headers[def.auth.header];
    const expected = def.auth.header === 'authorization' ? `Bearer ${def.auth.token}` : def.auth.token;
    if (presented !== expected) return send(res, 401, { error: 'invalid credentials' });

    const fault = faults.next();
    if (fault?.kind === 'hang') return; // never answered; the client's timeout ends it
    if (fault?.kind === 'slow') await sleep(fault.ms);
    if (fault?.kind === 'status') return send(res, fault.status, { error: `injected ${fault.status}` });
    if (fault?.kind === 'rate-limit') return send(res, 429, { error: 'too many requests' }, { 'retry-after': String(fault.retryAfterSeconds) });
    if (fault?.kind === 'malformed') return send(res, 200, '<html><body>系统维护中</body></html>', { 'content-type': 'text/html; charset=utf-8' });

    if (uscc !== undefined && !opts.knows(uscc) && def.notFoundForUnknown) return send(res, 404, { error: `no account for ${uscc}` });
    const since = url.searchParams.get(def.sinceParam) ?? undefined;
    if (since !== undefined && Number.isNaN(Date.parse(since))) return send(res, 400, { error: `${def.sinceParam} is not a time` });
    const page = pageOf(def, url.searchParams, data.query({ since, uscc }));
    if ('error' in page) return send(res, 400, { error: page.error });
    send(res, 200, page.body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => send(res, 500, { error: String(e) }));
  });
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
