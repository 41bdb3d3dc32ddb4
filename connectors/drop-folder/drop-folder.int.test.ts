// The drop-folder connector on a real folder: each CSV file once (by content hash), handed whole to
// the runner, moved aside only once the runner comes back after the file (the batch committed),
// and a file's batch loaded through the same path as `credit-etl ingest`.
import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { ingestFile } from '../../ingest/ingest-file.ts';
import { category, findProviderUnit } from '../../schemas/registry.ts';
import { createTestDb, type TestDb } from '../../test/helpers/pg.ts';
import { connectorConformance } from '../../testkit/stand-ins/conformance.ts';
import { demoSource, plainContext, readAll } from '../../testkit/stand-ins/run.ts';
import { startStandIns, type StandIns } from '../../testkit/stand-ins/stand-ins.ts';
import type { JsonValue, SourceMessage } from '../types.ts';
import { dropFolder, type DropFolderConfig } from './index.ts';

const ID = 'penalty-platform-drop';
const csvIn = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.csv')).sort();

describe(`conformance: ${ID}`, () => {
  connectorConformance<DropFolderConfig>({
    connector: dropFolder,
    rowKey: () => 'files carry no rows',
    async open() {
      const s = await startStandIns();
      await s.control.dropFolder.drop();
      await s.control.dropFolder.drop({ encoding: 'gb18030' });
      return { cfg: demoSource<DropFolderConfig>(s, ID), ctx: plainContext(s.env), expected: 3, close: s.close };
    },
  });
});

describe('drop-folder', () => {
  let s: StandIns;
  beforeEach(async () => {
    s = await startStandIns();
  });
  afterEach(() => s?.close());
  const cfg = (over: Partial<DropFolderConfig> = {}) => demoSource<DropFolderConfig>(s, ID, over);

  it('moves a file aside only when the runner comes back for the next message', async () => {
    await s.control.dropFolder.drop();
    const messages = dropFolder.read(cfg(), plainContext(s.env), undefined)[Symbol.asyncIterator]();
    const first = (await messages.next()).value as Extract<SourceMessage, { kind: 'file' }>;
    expect(first.kind).toBe('file');
    expect(await csvIn(s.dropDir)).toContain(first.name);
    await messages.next();
    expect(await csvIn(s.dropDir)).not.toContain(first.name);
    expect((await readdir(path.join(s.dropDir, '_ingested')))).toEqual([`${first.sha256.slice(0, 12)}-${first.name}`]);
    await messages.return?.();
  });

  it('after a crash between commit and move, the next run moves the file without a second batch', async () => {
    let cursor: JsonValue | undefined;
    for await (const m of dropFolder.read(cfg(), plainContext(s.env), undefined)) {
      if (m.kind === 'file') cursor = m.cursor;
      break;
    }
    expect(await csvIn(s.dropDir)).toHaveLength(1);
    const again = await readAll(cfg(), plainContext(s.env), cursor);
    expect(again.messages).toEqual([]);
    expect(await csvIn(s.dropDir)).toEqual([]);
  });

  it('the same content dropped again under another name is not ingested twice', async () => {
    const [name] = await csvIn(s.dropDir);
    const copy = path.join(s.dropDir, 'copy.csv');
    await copyFile(path.join(s.dropDir, name), copy);
    const first = await readAll(cfg(), plainContext(s.env));
    expect(first.messages.map((m) => m.kind)).toEqual(['file']);
    expect(await csvIn(s.dropDir)).toEqual([]);
    await copyFile(path.join(s.dropDir, '_ingested', (await readdir(path.join(s.dropDir, '_ingested')))[0]), copy);
    expect((await readAll(cfg(), plainContext(s.env), first.cursor)).messages).toEqual([]);
  });

  it('leaves a file that may still be being written (changed within settleMs) for a later run', async () => {
    await s.control.dropFolder.drop();
    expect((await readAll(cfg({ settleMs: 3_600_000 }), plainContext(s.env))).messages).toEqual([]);
    expect(await csvIn(s.dropDir)).toHaveLength(2);
  });
});

describe('a dropped file through the pipeline', () => {
  let t: TestDb;
  let s: StandIns;
  beforeAll(async () => {
    [t, s] = await Promise.all([createTestDb('conn_drop'), startStandIns()]);
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('loads as one batch like `credit-etl ingest`: GBK detected, every row accepted, the cursor committed with it', async () => {
    const committed: JsonValue[] = [];
    const source = demoSource<DropFolderConfig>(s, ID);
    for await (const m of dropFolder.read(source, plainContext(s.env), undefined)) {
      if (m.kind !== 'file') continue;
      const report = await ingestFile(t.db, {
        file: m.path, name: m.name, category: category(source.category), deliverer: findProviderUnit(source.provider)!,
        inTransaction: async () => void committed.push(m.cursor),
      }, { log: pino({ level: 'silent' }) });
      expect(report).toMatchObject({ status: 'loaded', encoding: 'gb18030', read: s.control.dropFolder.rowsDropped(), rejected: 0, sha256: m.sha256 });
    }
    expect(committed).toHaveLength(1);
    expect(await csvIn(s.dropDir)).toEqual([]);
  });
});
