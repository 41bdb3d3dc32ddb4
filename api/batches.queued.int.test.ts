// The queued upload path over real PostgreSQL and Redis: POST /batches registers the batch as
// received and answers 202, a BullMQ worker (the real startCollectionWorker) loads it into the
// same row, and the status, the reconciled counts, rejects.csv and the deliverer rule hold as for
// the in-process path.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Queue, UnrecoverableError } from 'bullmq';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectQueues, type QueueConnection } from '../jobs/connection.ts';
import { runQueuedUpload } from '../jobs/ingest-upload.ts';
import { jobId, QUEUE, type JobPayloads } from '../jobs/queues.ts';
import { startCollectionWorker, type CollectionWorker } from '../jobs/worker.ts';
import { loadCollectionConfig } from '../config/config.ts';
import { category, findProviderUnit } from '../schemas/registry.ts';
import { BatchLoad } from '../store/batch-load.ts';
import { createApiHarness, multipart, type ApiHarness } from '../test/helpers/api.ts';
import { deletePrefix, eventually, REDIS_URL, testPrefix } from '../test/helpers/collect.ts';
import { fixture, silentLog } from '../test/helpers/ingest.ts';

const cfg = loadCollectionConfig({ REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: testPrefix(), CREDIT_ETL_RETRY_DELAY_MS: '100', CREDIT_ETL_JOB_LOCK_MS: '5000' });
let conn: QueueConnection;
let queue: Queue<JobPayloads[typeof QUEUE.upload]>;
let h: ApiHarness;
let worker: CollectionWorker | undefined;
let ndrc: { authorization: string };
let ecology: { authorization: string };

beforeAll(async () => {
  conn = connectQueues(cfg);
  queue = new Queue(QUEUE.upload, { connection: conn.connection, prefix: conn.prefix });
  h = await createApiHarness('api_queued', { uploadQueue: { queue, retryDelayMs: cfg.retryDelayMs } });
  ndrc = await h.token('provider', '市发展改革委');
  ecology = await h.token('provider', '市生态环境局');
});
afterAll(async () => {
  await worker?.close();
  await queue?.close();
  await conn?.connection.quit();
  await deletePrefix(REDIS_URL, cfg.queuePrefix);
  await h?.close();
});

const expected = JSON.parse(readFileSync(fixture('dirty/expected.json'), 'utf8'));
const upload = (auth: { authorization: string }, fields: Record<string, string>, name: string, content: Buffer) => {
  const body = multipart(fields, { name, content });
  return h.app.inject({ method: 'POST', url: '/batches', payload: body.payload, headers: { ...body.headers, ...auth } });
};
const startWorker = async () => {
  worker ??= await startCollectionWorker({ db: h.t.db, log: silentLog, cfg, conn });
};
/** Polls GET /batches/:id until the batch has left `received` (no timing assertion: the test timeout bounds it). */
const settled = (id: string, auth: { authorization: string }) => eventually(async () => {
  const b = (await h.app.inject({ url: `/batches/${id}`, headers: auth })).json();
  return b.status === 'received' ? undefined : b;
});

describe('a GBK batch through the queue', () => {
  it('answers 202 received at once, shows the registered batch, then the worker loads it with reconciled counts and the rejects.csv round trip', async () => {
    const gbk = iconv.encode(readFileSync(fixture('dirty/penalty.bad-values.csv'), 'utf8'), 'gbk');
    // No worker yet: the batch must wait, registered, in the queue.
    const posted = await upload(ndrc, { category: '行政处罚' }, '处罚信息.csv', gbk);
    expect(posted.statusCode).toBe(202);
    const { id, batchId, status, links } = posted.json();
    expect(id).toBe(batchId);
    expect(status).toBe('received');

    const waiting = await h.app.inject({ url: links.self, headers: ndrc });
    expect(waiting.statusCode).toBe(200);
    expect(waiting.json()).toMatchObject({
      id, status: 'received', category: 'penalty', fileName: '处罚信息.csv', deliveredBy: '临沂市发展和改革委员会', sizeBytes: gbk.length,
      counts: { read: 0, accepted: 0, rejected: 0 },
    });
    expect((await h.app.inject({ url: links.self, headers: ecology })).statusCode).toBe(404);
    const job = await queue.getJob(jobId.upload(id));
    expect(job!.data.upload.providerId).toBe('ndrc');
    expect(await job!.getState()).toBe('waiting');

    await startWorker();
    const batch = await settled(id, ndrc);
    const want = expected['penalty.bad-values.csv'];
    expect(batch).toMatchObject({ id, status: 'loaded', category: 'penalty', fileName: '处罚信息.csv', encoding: 'gb18030', deliveredBy: '临沂市发展和改革委员会', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const c = batch.counts;
    expect(c).toMatchObject({ read: want.records, accepted: want.accepted, rejected: want.rejected.length });
    expect(c.read).toBe(c.accepted + c.rejected);
    expect(c.accepted).toBe(c.inserted + c.updated + c.unchanged + c.duplicates);
    // one row for the batch: the registered one, adopted by the batch's transaction
    expect(await h.t.db.knex('batches').where({ id }).count('* as n')).toEqual([{ n: 1 }]);

    const report = await h.app.inject({ url: links.rejects, headers: ndrc });
    expect(report.statusCode).toBe(200);
    expect(report.headers['content-disposition']).toContain(encodeURIComponent('处罚信息-错误报告.csv'));
    const rows = parse(report.rawPayload, { bom: true }) as string[][];
    const header = rows[0];
    expect(header.slice(-2)).toEqual(['行号', '错误原因']);
    expect(rows.slice(1).map((r) => Number(r[r.length - 2]))).toEqual(want.rejected.map((r: { line: number }) => r.line));
    const source = parse(readFileSync(fixture('dirty/penalty.bad-values.csv'))) as string[][];
    for (const r of rows.slice(1)) expect(r.slice(0, header.length - 2)).toEqual(source[Number(r[r.length - 2]) - 1]);

    // another provider gets the same 404 as for an unknown batch, for the status and the report
    expect((await h.app.inject({ url: links.self, headers: ecology })).statusCode).toBe(404);
    expect((await h.app.inject({ url: links.rejects, headers: ecology })).statusCode).toBe(404);
    expect((await h.app.inject({ url: '/batches', headers: ecology })).json().items.map((b: { id: string }) => b.id)).not.toContain(id);

    await eventually(async () => ((await job!.getState()) === 'completed' ? true : undefined));
    // the upload's folder is gone once the batch is final
    expect(readdirSync(uploadDirOf(job!.data.upload.file))).not.toContain(folderOf(job!.data.upload.file));
  });

  it('ignores a deliverer named in the form fields or in the file', async () => {
    await startWorker();
    const file = readFileSync(fixture('dirty/licensing.source-unit.csv'));
    const r = await upload(ecology, { deliveredBy: '临沂市发展和改革委员会', provider: 'ndrc', delivered_by: '市发改委', category: 'licensing' }, 'licensing.csv', file);
    expect(r.statusCode).toBe(202);
    const id = r.json().batchId;
    expect((await queue.getJob(jobId.upload(id)))!.data.upload.providerId).toBe('ecology');
    const batch = await settled(id, ecology);
    const want = expected['licensing.source-unit.csv'];
    expect(batch).toMatchObject({ status: 'loaded', deliveredBy: '临沂市生态环境局', counts: { accepted: want.accepted, rejected: want.rejected.length } });
    const stored = await h.t.db.knex('credit_records').where({ batch_id: id }).distinct('delivered_by', 'source_unit');
    expect(stored).toEqual([{ delivered_by: '临沂市生态环境局', source_unit: '临沂市生态环境局' }]);
    expect((await h.t.db.knex('batches').where({ id }).first()).delivered_by).toBe('临沂市生态环境局');
  });

  it('records a refused batch as refused without retrying it', async () => {
    await startWorker();
    const r = await upload(ndrc, { category: 'penalty' }, 'missing.csv', readFileSync(fixture('dirty/penalty.missing-columns.csv')));
    const id = r.json().batchId;
    expect(await settled(id, ndrc)).toMatchObject({ status: 'refused', refusal: { code: 'R_MISSING_COLUMNS' } });
    const job = await queue.getJob(jobId.upload(id));
    await eventually(async () => ((await job!.getState()) === 'completed' ? true : undefined));
    expect(job!.attemptsMade).toBeLessThanOrEqual(1);
  });
});

describe('a crash mid-batch, and duplicates', () => {
  it('leaves the registered row received with no data after a rolled-back attempt, and the next attempt completes it', async () => {
    // Upload without a worker able to take it: close the worker so the job waits.
    await worker?.close();
    worker = undefined;
    const r = await upload(ndrc, { category: 'penalty' }, 'crash.csv', readFileSync(fixture('penalty.csv')));
    const id = r.json().batchId;
    // An attempt that dies mid-batch: the batch's transaction adopted the row and got as far as its
    // final UPDATE, then rolled back (as PostgreSQL does when the worker's connection dies).
    const load = await BatchLoad.begin(h.t.db, {
      id, category: 'penalty', fileName: 'crash.csv', deliveredBy: findProviderUnit('ndrc')!.name, schemaVersion: category('penalty').version,
      receivedAt: new Date().toISOString(), inTransaction: async () => {
        throw new Error('worker died');
      },
    });
    const close = { sha256: '0'.repeat(64), sizeBytes: 1, encoding: 'utf-8', headers: [], read: 0, accepted: 0, rejected: 0, warningCount: 0, warnings: [], refusal: null };
    await expect(load.commit(close)).rejects.toThrow('worker died');
    const left = await h.t.db.knex('batches').where({ id }).first();
    expect(left).toMatchObject({ status: 'received', read: 0 });
    expect(await h.t.db.knex('credit_records').where({ batch_id: id }).count('* as n')).toEqual([{ n: 0 }]);

    await startWorker();
    const batch = await settled(id, ndrc);
    expect(batch).toMatchObject({ status: 'loaded', counts: { read: 72, accepted: 72 } });
  });

  it('puts a batch whose attempt failed on infrastructure back to received for the retry, keeps its file, and fails it for good on the last attempt or a payload error', async () => {
    await worker?.close();
    worker = undefined;
    const content = readFileSync(fixture('penalty.csv'));
    const post = async (name: string) => {
      const id = (await upload(ndrc, { category: 'penalty' }, name, content)).json().batchId;
      return (await queue.getJob(jobId.upload(id)))!.data;
    };
    const row = (id: string) => h.t.db.knex('batches').where({ id }).first();

    // The file is unreadable for one attempt (as when the shared upload volume is not mounted).
    const flaky = await post('flaky.csv');
    renameSync(flaky.upload.file, `${flaky.upload.file}.away`);
    await expect(runQueuedUpload(h.t.db, flaky, { log: silentLog, lastAttempt: false })).rejects.toMatchObject({ code: 'E_UPLOAD_FAILED' });
    expect(await row(flaky.batchId)).toMatchObject({ status: 'received', finished_at: null, error: expect.stringContaining('ENOENT') });
    renameSync(`${flaky.upload.file}.away`, flaky.upload.file);
    expect(await runQueuedUpload(h.t.db, flaky, { log: silentLog, lastAttempt: false })).toMatchObject({ status: 'loaded' });
    expect(await row(flaky.batchId)).toMatchObject({ status: 'loaded', read: 72, error: null });
    expect(existsSync(flaky.upload.file)).toBe(false);

    const lost = await post('lost.csv');
    rmSync(lost.upload.file);
    await expect(runQueuedUpload(h.t.db, lost, { log: silentLog, lastAttempt: true })).rejects.toThrow(/E_UPLOAD_FAILED/);
    expect(await row(lost.batchId)).toMatchObject({ status: 'failed', error: expect.stringContaining('ENOENT') });
    expect(existsSync(path.dirname(lost.upload.file))).toBe(false);

    // A payload naming an unknown unit is a data error: failed at once (UnrecoverableError), not retried.
    const forged = await post('forged.csv');
    const bad = { ...forged, upload: { ...forged.upload, providerId: 'nobody' } };
    const err = await runQueuedUpload(h.t.db, bad, { log: silentLog, lastAttempt: false }).catch((e) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(err.message).toMatch(/^E_UPLOAD_PAYLOAD/);
    expect(await row(forged.batchId)).toMatchObject({ status: 'failed', delivered_by: '临沂市发展和改革委员会' });
    expect(existsSync(path.dirname(forged.upload.file))).toBe(false);

    // These attempts ran outside the queue: the job still waiting for the loaded batch finds it
    // final and only tidies up (the other two jobs would have ended failed in BullMQ; drop them).
    await (await queue.getJob(jobId.upload(lost.batchId)))!.remove();
    await (await queue.getJob(jobId.upload(forged.batchId)))!.remove();
    await startWorker();
    const job = (await queue.getJob(jobId.upload(flaky.batchId)))!;
    await eventually(async () => ((await job.getState()) === 'completed' ? true : undefined));
    expect((await queue.getJob(jobId.upload(flaky.batchId)))!.returnvalue).toMatchObject({ status: 'loaded', skipped: true });
  });

  it('adds one job per batch however often it is enqueued, and a duplicate execution of a finished batch changes nothing', async () => {
    await startWorker();
    const r = await upload(ndrc, { category: 'penalty' }, 'dup.csv', readFileSync(fixture('dirty/penalty.duplicates.csv')));
    const id = r.json().batchId;
    const first = await settled(id, ndrc);
    const job = (await queue.getJob(jobId.upload(id)))!;
    await eventually(async () => ((await job.getState()) === 'completed' ? true : undefined));
    await queue.add(QUEUE.upload, job.data, { jobId: jobId.upload(id) });
    expect((await queue.getJob(jobId.upload(id)))!.timestamp).toBe(job.timestamp);
    // the same payload run again (a stalled job taken over after the first commit) is skipped
    const again = await runQueuedUpload(h.t.db, job.data, { log: silentLog, lastAttempt: false });
    expect(again).toMatchObject({ batchId: id, skipped: true });
    expect((await h.app.inject({ url: `/batches/${id}`, headers: ndrc })).json()).toEqual(first);
  });
});

const uploadDirOf = (file: string) => file.split('/').slice(0, -2).join('/');
const folderOf = (file: string) => file.split('/').slice(-2)[0];
