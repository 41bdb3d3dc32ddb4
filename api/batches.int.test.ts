// Provider side over real PostgreSQL: a GBK upload round trip (upload, status, rejects.csv), the
// deliverer fixed by the token, and one provider never seeing another's batch.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, multipart, type ApiHarness } from '../test/helpers/api.ts';
import { fixture } from '../test/helpers/ingest.ts';

let h: ApiHarness;
let ndrc: { authorization: string };
let ecology: { authorization: string };
beforeAll(async () => {
  h = await createApiHarness('api_batches', { limits: { fileBytes: 64 * 1024 } });
  ndrc = await h.token('provider', '市发展改革委');
  ecology = await h.token('provider', '市生态环境局');
});
afterAll(async () => {
  await h?.close();
});

const expected = JSON.parse(readFileSync(fixture('dirty/expected.json'), 'utf8'));
const upload = (auth: { authorization: string }, fields: Record<string, string>, name: string, content: Buffer) => {
  const body = multipart(fields, { name, content });
  return h.app.inject({ method: 'POST', url: '/batches', payload: body.payload, headers: { ...body.headers, ...auth } });
};

describe('a GBK batch round trip', () => {
  it('uploads a GBK file with bad rows, reports reconciled counts, and gives back the rejected rows in the clerk\'s own terms', async () => {
    const gbk = iconv.encode(readFileSync(fixture('dirty/penalty.bad-values.csv'), 'utf8'), 'gbk');
    const posted = await upload(ndrc, { category: '行政处罚' }, '处罚信息.csv', gbk);
    expect(posted.statusCode).toBe(201);
    const batch = posted.json();
    const want = expected['penalty.bad-values.csv'];
    expect(batch).toMatchObject({ status: 'loaded', category: 'penalty', fileName: '处罚信息.csv', encoding: 'gb18030', deliveredBy: '临沂市发展和改革委员会' });

    const status = await h.app.inject({ url: `/batches/${batch.id}`, headers: ndrc });
    expect(status.statusCode).toBe(200);
    const c = status.json().counts;
    expect(c).toMatchObject({ read: want.records, accepted: want.accepted, rejected: want.rejected.length });
    expect(c.read).toBe(c.accepted + c.rejected);
    expect(c.accepted).toBe(c.inserted + c.updated + c.unchanged + c.duplicates);

    const report = await h.app.inject({ url: status.json().links.rejects, headers: ndrc });
    expect(report.statusCode).toBe(200);
    expect(report.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(report.headers['content-disposition']).toContain(encodeURIComponent('处罚信息-错误报告.csv'));
    expect(report.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = parse(report.rawPayload, { bom: true }) as string[][];
    const header = rows[0];
    expect(header.slice(0, 2)).toEqual(['企业名称', '统一社会信用代码']);
    expect(header.slice(-2)).toEqual(['行号', '错误原因']);
    expect(rows.slice(1).map((r) => Number(r[r.length - 2]))).toEqual(want.rejected.map((r: { line: number }) => r.line));
    // the rejected rows come back as the clerk's file had them, decoded from GBK
    const source = parse(readFileSync(fixture('dirty/penalty.bad-values.csv'))) as string[][];
    for (const r of rows.slice(1)) {
      expect(r.slice(0, header.length - 2)).toEqual(source[Number(r[r.length - 2]) - 1]);
      expect(r[r.length - 1]).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('refuses a file over the size limit with 413 and keeps no batch', async () => {
    const before = (await h.app.inject({ url: '/batches', headers: ndrc })).json().items.length;
    const big = Buffer.concat([readFileSync(fixture('penalty.csv')), Buffer.alloc(70 * 1024, 0x20)]);
    const r = await upload(ndrc, { category: 'penalty' }, 'big.csv', big);
    expect(r.statusCode).toBe(413);
    expect(r.json()).toMatchObject({ code: 'E_FILE_TOO_LARGE' });
    expect((await h.app.inject({ url: '/batches', headers: ndrc })).json().items.length).toBe(before);
  });

  it('refuses a category the unit does not deliver, and an unknown one, in Chinese and English', async () => {
    const r = await upload(ecology, { category: '水费' }, 'w.csv', readFileSync(fixture('water.csv')));
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ code: 'E_CATEGORY_NOT_DELIVERED', messageZh: expect.stringContaining('水费') });
    const u = await upload(ndrc, { category: '电费' }, 'x.csv', Buffer.from('a\n'));
    expect(u.json()).toMatchObject({ code: 'E_UNKNOWN_CATEGORY', messageEn: expect.stringContaining('电费') });
  });
});

describe('the deliverer is the token\'s unit', () => {
  it('ignores a deliverer named in the form fields or in the file', async () => {
    const file = readFileSync(fixture('dirty/licensing.source-unit.csv'));
    const r = await upload(ecology, { deliveredBy: '临沂市发展和改革委员会', provider: 'ndrc', delivered_by: '市发改委', category: 'licensing' }, 'licensing.csv', file);
    expect(r.statusCode).toBe(201);
    const batch = r.json();
    const want = expected['licensing.source-unit.csv'];
    expect(batch).toMatchObject({ deliveredBy: '临沂市生态环境局', counts: { accepted: want.accepted, rejected: want.rejected.length } });
    // rows whose 数据提供单位 names another unit are rejected, not re-attributed
    const stored = await h.t.db.knex('credit_records').where({ batch_id: batch.id }).distinct('delivered_by', 'source_unit');
    expect(stored).toEqual([{ delivered_by: '临沂市生态环境局', source_unit: '临沂市生态环境局' }]);
    const rejected = await h.t.db.knex('rejected_rows').where({ batch_id: batch.id }).orderBy('line');
    expect(rejected.map((x) => [x.line, x.issues[0].code])).toEqual(want.rejected.map((x: { line: number; code: string }) => [x.line, x.code]));
    expect((await h.t.db.knex('batches').where({ id: batch.id }).first()).delivered_by).toBe('临沂市生态环境局');
  });
});

describe('who sees which batch', () => {
  it('gives another provider, and an unknown id, the same 404; no token 401; an analyst 403', async () => {
    const posted = await upload(ndrc, { category: 'penalty' }, 'p.csv', readFileSync(fixture('dirty/penalty.duplicates.csv')));
    const id = posted.json().id;
    const unknown = '00000000-0000-4000-8000-000000000000';
    const foreign = await h.app.inject({ url: `/batches/${id}`, headers: ecology });
    const missing = await h.app.inject({ url: `/batches/${unknown}`, headers: ecology });
    expect(foreign.statusCode).toBe(404);
    expect({ ...foreign.json(), requestId: undefined }).toEqual({ ...missing.json(), requestId: undefined });
    expect((await h.app.inject({ url: `/batches/${id}/rejects.csv`, headers: ecology })).statusCode).toBe(404);
    expect((await h.app.inject({ url: '/batches', headers: ecology })).json().items.map((b: { id: string }) => b.id)).not.toContain(id);

    for (const url of [`/batches/${id}`, `/batches/${unknown}`]) {
      expect((await h.app.inject({ url })).statusCode).toBe(401);
      expect((await h.app.inject({ url, headers: { authorization: 'Bearer cetl_forged' } })).statusCode).toBe(401);
      expect((await h.app.inject({ url, headers: await h.token('analyst', '临沂某银行') })).statusCode).toBe(403);
    }
    expect((await h.app.inject({ url: `/batches/${id}`, headers: await h.token('admin', 'ops') })).statusCode).toBe(200);
  });

  it('lets an admin delete a batch that left no records, logs it, and refuses one whose records are stored', async () => {
    const admin = await h.token('admin', 'ops');
    const refused = await upload(ndrc, { category: 'penalty' }, 'missing.csv', readFileSync(fixture('dirty/penalty.missing-columns.csv')));
    expect(refused.json().status).toBe('refused');
    const loaded = (await h.app.inject({ url: '/batches', headers: ndrc })).json().items.find((b: { status: string }) => b.status === 'loaded');
    expect((await h.app.inject({ method: 'DELETE', url: `/batches/${loaded.id}`, headers: admin })).json()).toMatchObject({ code: 'E_BATCH_HAS_RECORDS' });
    expect((await h.app.inject({ method: 'DELETE', url: `/batches/${refused.json().id}`, headers: ndrc })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'DELETE', url: `/batches/${refused.json().id}`, headers: admin })).statusCode).toBe(204);
    expect((await h.app.inject({ url: `/batches/${refused.json().id}`, headers: ndrc })).statusCode).toBe(404);
    const entry = await h.t.db.knex('access_log').where({ action: 'batch.delete' }).first();
    expect(entry.detail).toMatchObject({ batchId: refused.json().id, status: 'refused' });
  });
});

describe('basics', () => {
  it('sends security headers and a request id on every answer', async () => {
    const r = await h.app.inject({ url: '/upload' });
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('limits', () => {
  it('answers a JSON body on the upload route with 415, and an oversized JSON body with 413', async () => {
    const json = await h.app.inject({ method: 'POST', url: '/batches', headers: ndrc, payload: { category: 'penalty' } });
    expect(json.statusCode).toBe(415);
    expect(json.json()).toMatchObject({ code: 'E_UNSUPPORTED_MEDIA_TYPE' });
    const admin = await h.token('admin', 'ops');
    const big = await h.app.inject({ method: 'POST', url: '/admin/tokens', headers: admin, payload: { role: 'admin', unit: 'x', label: 'y'.repeat(100_000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: 'E_BODY_TOO_LARGE' });
  });
});
