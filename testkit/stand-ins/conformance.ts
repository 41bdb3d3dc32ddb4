// The suite every connector passes (run from each connector's *.int.test.ts): it configures
// against its own schema, check() passes, a read ends with a cursor that covers it, a read from
// that cursor finds nothing new, a read abandoned at a checkpoint (a crash) and resumed from it
// loses and repeats nothing, and an aborted read stops.
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/registry.ts';
import type { Connector, ConnectorContext, JsonValue, SourceConfigBase, SourceMessage, ProviderRecord } from '../../connectors/types.ts';

export interface ConformanceSource<Cfg extends SourceConfigBase> {
  readonly cfg: Cfg;
  readonly ctx: ConnectorContext;
  /** Rows (or files) the source holds now: what a first read must deliver. */
  readonly expected: number;
  close(): Promise<void>;
}

export interface ConformanceSubject<Cfg extends SourceConfigBase> {
  readonly connector: Connector<Cfg>;
  /** A fresh source with data, for each test (a read may change it, e.g. move files aside). */
  open(): Promise<ConformanceSource<Cfg>>;
  /** The row's identity at the source (its id). */
  rowKey(row: ProviderRecord): string;
  /** Whether the source is registered in connectors/registry.ts (false only for the template). */
  readonly registered?: boolean;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

async function collect(messages: AsyncIterable<SourceMessage>, stopAfterCursor?: number): Promise<SourceMessage[]> {
  const out: SourceMessage[] = [];
  let cursors = 0;
  for await (const m of messages) {
    out.push(m);
    if (m.kind !== 'rows' && ++cursors === stopAfterCursor) break;
  }
  return out;
}

function cursorOf(ms: readonly SourceMessage[]): JsonValue | undefined {
  let cursor: JsonValue | undefined;
  for (const m of ms) if (m.kind !== 'rows') cursor = m.cursor;
  return cursor;
}

function keys(ms: readonly SourceMessage[], rowKey: (r: ProviderRecord) => string): string[] {
  return ms.flatMap((m) => (m.kind === 'rows' ? m.rows.map(rowKey) : m.kind === 'file' ? [m.sha256] : []));
}

async function withSource<Cfg extends SourceConfigBase>(subject: ConformanceSubject<Cfg>, body: (s: ConformanceSource<Cfg>) => Promise<void>): Promise<void> {
  const s = await subject.open();
  try {
    await body(s);
  } finally {
    await s.close();
  }
}

export function connectorConformance<Cfg extends SourceConfigBase>(subject: ConformanceSubject<Cfg>): void {
  const { connector: c, rowKey } = subject;

  it(`${c.kind}: its configuration validates against its configSchema${subject.registered === false ? '' : ', and it is registered'}`, async () => {
    if (subject.registered !== false) expect(CONNECTORS.map((k) => k.kind)).toContain(c.kind);
    const validate = addFormats(new Ajv({ allErrors: true, strict: false })).compile(c.configSchema);
    await withSource(subject, async (s) => {
      expect(validate(s.cfg), JSON.stringify(validate.errors)).toBe(true);
      expect(validate({ ...s.cfg, unexpected: true })).toBe(false);
    });
  });

  it(`${c.kind}: check() passes on a reachable source`, () => withSource(subject, (s) => c.check(s.cfg, s.ctx)));

  it(`${c.kind}: a read delivers every row once and ends with a JSON cursor; reading again from it finds nothing new`, () => withSource(subject, async (s) => {
    const ms = await collect(c.read(s.cfg, s.ctx, undefined));
    const ks = keys(ms, rowKey);
    expect(ks.length).toBe(s.expected);
    expect(new Set(ks).size).toBe(ks.length);
    expect(ms.at(-1)!.kind).not.toBe('rows');
    for (const m of ms) if (m.kind !== 'rows') expect(JSON.parse(JSON.stringify(m.cursor))).toEqual(m.cursor);
    for (const m of ms) if (m.kind === 'rows') expect(m.rows.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))).toBe(true);
    const again = await collect(c.read(s.cfg, s.ctx, JSON.parse(JSON.stringify(cursorOf(ms)))));
    expect(keys(again, rowKey)).toEqual([]);
  }));

  it(`${c.kind}: a read abandoned at a checkpoint (a crash) and resumed from it loses and repeats nothing`, () => withSource(subject, async (s) => {
    const first = await collect(c.read(s.cfg, s.ctx, undefined), 1);
    const cursor = cursorOf(first);
    expect(cursor).toBeDefined();
    const rest = await collect(c.read(s.cfg, s.ctx, JSON.parse(JSON.stringify(cursor))));
    const before = keys(first, rowKey);
    const after = keys(rest, rowKey);
    expect(before.filter((k) => after.includes(k))).toEqual([]);
    expect(new Set([...before, ...after]).size).toBe(s.expected);
    expect(before.length + after.length).toBe(s.expected);
  }));

  it(`${c.kind}: stops when its signal is aborted`, () => withSource(subject, async (s) => {
    const abort = new AbortController();
    abort.abort();
    await expect(collect(c.read(s.cfg, { ...s.ctx, signal: abort.signal }, undefined))).rejects.toThrow();
  }));
}
