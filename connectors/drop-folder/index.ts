// CSV files a provider drops into a folder: each file is handed to the runner whole (a `file`
// message), so it takes exactly the path of `credit-etl ingest` (encoding detection, the file's
// own headers, line numbers and malformed records in the rejection report) and becomes one batch.
// A file is known by its content hash: the cursor lists the hashes ingested, and a file is moved
// aside only when the connector resumes after its message, i.e. after the batch and cursor
// committed. A crash in between leaves the file in place; the next run sees its hash in the
// cursor and only moves it. The same content dropped again is moved aside without a second batch.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { sourceSchema } from '../config-schema.ts';
import { MalformedPayloadError, ProviderUnavailableError } from '../errors.ts';
import type { Connector, ConnectorContext, JsonValue, SourceConfigBase, SourceMessage } from '../types.ts';

export interface DropFolderConfig extends SourceConfigBase {
  readonly kind: 'drop-folder';
  readonly folder: string;
  /** Where ingested files go (default `<folder>/_ingested`). */
  readonly doneFolder?: string;
  /** A file is taken only when unchanged for this long, so one still being copied in is left for later (default 5000). */
  readonly settleMs?: number;
}

interface Cursor {
  readonly ingested: readonly string[];
}

const isCsv = (name: string) => /\.csv$/i.test(name) && !name.startsWith('.');

function parseCursor(raw: JsonValue | undefined, source: string): string[] {
  if (raw === undefined || raw === null) return [];
  const c = raw as unknown as Partial<Cursor>;
  if (!Array.isArray(c.ingested) || !c.ingested.every((h) => typeof h === 'string')) {
    throw new MalformedPayloadError(`数据源 ${source} 的断点格式无法识别`, `source ${source}: unreadable cursor`, { source });
  }
  return [...c.ingested];
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function settledFiles(cfg: DropFolderConfig, ctx: ConnectorContext): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(cfg.folder)).filter(isCsv).sort();
  } catch (e) {
    throw new ProviderUnavailableError(`投递目录 ${cfg.folder} 无法读取：${(e as Error).message}`, `drop folder ${cfg.folder} cannot be read: ${(e as Error).message}`, { source: cfg.id });
  }
  const settle = cfg.settleMs ?? 5000;
  const out: string[] = [];
  for (const n of names) {
    const s = await stat(path.join(cfg.folder, n));
    if (s.isFile() && ctx.now().getTime() - s.mtimeMs >= settle) out.push(n);
  }
  return out;
}

const doneFolder = (cfg: DropFolderConfig) => cfg.doneFolder ?? path.join(cfg.folder, '_ingested');

async function moveAside(cfg: DropFolderConfig, name: string, hash: string): Promise<void> {
  await mkdir(doneFolder(cfg), { recursive: true });
  await rename(path.join(cfg.folder, name), path.join(doneFolder(cfg), `${hash.slice(0, 12)}-${name}`));
}

async function* read(cfg: DropFolderConfig, ctx: ConnectorContext, since: JsonValue | undefined): AsyncGenerator<SourceMessage> {
  const ingested = parseCursor(since, cfg.id);
  for (const name of await settledFiles(cfg, ctx)) {
    ctx.signal.throwIfAborted();
    const file = path.join(cfg.folder, name);
    const hash = await sha256(file);
    if (!ingested.includes(hash)) {
      ingested.push(hash);
      yield { kind: 'file', path: file, name, sha256: hash, cursor: { ingested: [...ingested] } };
    } else {
      ctx.log.info({ source: cfg.id, file: name, sha256: hash }, 'already ingested; moved aside');
    }
    await moveAside(cfg, name, hash);
  }
}

export const dropFolder: Connector<DropFolderConfig> = {
  kind: 'drop-folder',
  configSchema: sourceSchema('drop-folder', {
    folder: { type: 'string', minLength: 1 },
    doneFolder: { type: 'string', minLength: 1 },
    settleMs: { type: 'integer', minimum: 0 },
  }, ['folder']),

  async check(cfg, ctx) {
    await settledFiles(cfg, ctx);
  },

  read: (cfg, ctx, since) => read(cfg, ctx, since),
};
