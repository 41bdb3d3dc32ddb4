// One uploaded file into the store. The payload is plain data (ids and a path), so the same function
// serves the in-process path of the upload route and a queue worker that picks the upload up later.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ingestFile, type IngestDeps } from '../jobs/ingest-file.ts';
import type { IngestLimits } from '../pipelines/limits.ts';
import type { BatchReport } from '../pipelines/run-batch.ts';
import type { Encoding } from '../pipelines/stages/decode.ts';
import { findCategory, findProviderUnit, type CategoryId } from '../schemas/registry.ts';
import type { Db } from '../store/db.ts';

export interface StoredUpload {
  /** The file on disk; its folder belongs to the upload and is removed once the batch is done. */
  readonly file: string;
  /** The clerk's own file name, as the batch registry shows it. */
  readonly fileName: string;
  readonly category: CategoryId;
  /** The provider unit the uploading token belongs to: the batch's deliverer. */
  readonly providerId: string;
  readonly encoding: Encoding | 'auto';
}

export class UploadPayloadError extends Error {
  readonly code = 'E_UPLOAD_PAYLOAD';
}

export async function ingestUpload(db: Db, upload: StoredUpload, deps: IngestDeps & { readonly limits?: IngestLimits }): Promise<BatchReport> {
  try {
    const category = findCategory(upload.category);
    const deliverer = findProviderUnit(upload.providerId);
    if (!category || !deliverer) {
      throw new UploadPayloadError(`上传任务的类别或报送单位无效 / upload names an unknown category or provider (${upload.category}, ${upload.providerId})`);
    }
    return await ingestFile(db, { file: upload.file, name: upload.fileName, category, deliverer, encoding: upload.encoding, limits: deps.limits }, deps);
  } finally {
    await rm(path.dirname(upload.file), { recursive: true, force: true });
  }
}
