// The service over a database of its own: buildApp on a fresh test database, tokens for any role,
// and a multipart body builder for inject().
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../api/app.ts';
import { queuedRunUpload, type UploadQueue } from '../../jobs/ingest-upload.ts';
import { createApiToken, type Role } from '../../store/api-tokens.ts';
import { registerInstitution } from '../../store/institutions.ts';
import { createTestDb, type TestDb } from './pg.ts';

export interface ApiHarness {
  readonly t: TestDb;
  readonly app: FastifyInstance;
  /** A bearer header for a new token of this role and unit. */
  token(role: Role, unit: string): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

/** uploadQueue: uploads go through the queue, as `serve` does with REDIS_URL. */
export async function createApiHarness(label: string, { uploadQueue, ...deps }: Partial<Omit<AppDeps, 'db'>> & { uploadQueue?: UploadQueue } = {}): Promise<ApiHarness> {
  const t = await createTestDb(label);
  // The harness's own upload folder unless the test brings one (and cleans it up itself).
  const ownDir = deps.uploadDir ? undefined : mkdtempSync(path.join(tmpdir(), `credit-etl-${label}-`));
  const app = await buildApp({ db: t.db, ...(uploadQueue ? { runUpload: queuedRunUpload(t.db, uploadQueue) } : {}), ...deps, uploadDir: deps.uploadDir ?? ownDir! });
  return {
    t, app,
    token: async (role, unit) => {
      // An analyst's institution is registered first, as an admin would.
      const institution = role === 'analyst' ? (await registerInstitution(t.db, unit)).institution : undefined;
      return { authorization: `Bearer ${(await createApiToken(t.db, { role, unit: institution?.name ?? unit, createdBy: 'test', institutionId: institution?.id })).token}` };
    },
    close: async () => {
      await app.close();
      await t.drop();
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    },
  };
}

/** A multipart/form-data body: the fields in order, then the file part. */
export function multipart(fields: Record<string, string>, file?: { name: string; content: Buffer }) {
  const boundary = `----credit-etl-${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: text/csv\r\n\r\n`));
    parts.push(file.content, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
