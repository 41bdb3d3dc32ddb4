import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { ingestFile } from '../../ingest/ingest-file.ts';
import type { IngestLimits } from '../../pipelines/limits.ts';
import type { BatchReport } from '../../pipelines/run-batch.ts';
import { findCategory, findProviderUnit } from '../../schemas/registry.ts';
import type { Db } from '../../store/db.ts';

export const silentLog = pino({ level: 'silent' });
export const fixture = (rel: string) => fileURLToPath(new URL(`../../fixtures/csv/${rel}`, import.meta.url));

export function ingest(db: Db, file: string, category: string, provider: string, extra: { maxRejectRatio?: number; maxRejects?: number; encoding?: 'auto' | 'utf-8' | 'gb18030'; limits?: IngestLimits } = {}): Promise<BatchReport> {
  return ingestFile(db, { file, category: findCategory(category)!, deliverer: findProviderUnit(provider)!, ...extra }, { log: silentLog });
}
