// The upload page as a clerk uses it, in headless Chromium: the unit's own categories and templates,
// row errors and warnings inline, a partial success as a warning, an .xlsx upload and the corrected
// report back, progress in bytes and rows on a 100k-row file (in process and queued).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import ExcelJS from 'exceljs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectQueues, type QueueConnection } from '../jobs/connection.ts';
import { QUEUE, type JobPayloads } from '../jobs/queues.ts';
import { startCollectionWorker, type CollectionWorker } from '../jobs/worker.ts';
import { loadCollectionConfig } from '../config/config.ts';
import { createRng, csvLine, syntheticRows } from '../testkit/synthetic.ts';
import { category } from '../schemas/registry.ts';
import { templateHeaders } from '../schemas/template.ts';
import { createApiHarness, type ApiHarness } from '../test/helpers/api.ts';
import { clerkFile, fixXlsxReport, HEADERS, penalty, toCsv, toXlsx } from '../test/helpers/clerk.ts';
import { deletePrefix, REDIS_URL, testPrefix } from '../test/helpers/collect.ts';
import { silentLog } from '../test/helpers/ingest.ts';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
/** Where the screenshots go (kept for a person to look at). */
const SHOTS = process.env.CREDIT_ETL_SCREENSHOTS ?? path.join(tmpdir(), 'credit-etl-screenshots');

let h: ApiHarness;
let browser: Browser;
let base: string;
let dir: string;
beforeAll(async () => {
  h = await createApiHarness('api_clerk_page');
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-page-'));
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const tokenOf = async (unit: string) => (await h.token('provider', unit)).authorization.slice('Bearer '.length);
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

async function open(token: string, at = base) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${at}/upload`);
  await page.fill('#token', token);
  await page.press('#token', 'Tab');
  await page.waitForSelector('#unit:has-text("报送单位")');
  return { context, page };
}

async function upload(page: Page, file: string, categoryId = 'penalty') {
  await page.selectOption('#category', categoryId);
  await page.setInputFiles('#file', file);
  await page.click('#submit');
  await page.waitForSelector('#message.ok, #message.warn, #message.error');
}

/** Every value the rows-progress line showed while the batch ran. */
async function recordProgress(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { seen: { rows: number[]; bytes: number[] } };
    w.seen = { rows: [], bytes: [] };
    new MutationObserver(() => {
      const r = document.getElementById('rows-progress')!.dataset.rows;
      if (r !== undefined) w.seen.rows.push(Number(r));
      const b = document.getElementById('upload-progress')!.dataset.bytes;
      if (b !== undefined) w.seen.bytes.push(Number(b));
    }).observe(document.body, { subtree: true, attributes: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (window as unknown as { seen: { rows: number[]; bytes: number[] } }).seen);
}

let bigFile: string | undefined;
/** 100,000 valid penalty rows (about 34 MB). */
function hundredThousandRows(): string {
  if (bigFile) return bigFile;
  bigFile = path.join(dir, '处罚-10万行.csv');
  const rows = syntheticRows('penalty', createRng('page-progress'));
  const parts = [csvLine(HEADERS)];
  for (let i = 0; i < 100_000; i++) {
    const r = rows.next().value;
    parts.push(csvLine(penalty.fields.map((f) => r[f.key] ?? '')));
  }
  writeFileSync(bigFile, `${parts.join('\r\n')}\r\n`);
  return bigFile;
}

describe('the upload page', () => {
  it('lists only the categories the token\'s unit delivers, keeps the token for the session, and offers each category\'s template', async () => {
    const { context, page } = await open(await tokenOf('市供水单位'));
    expect(await page.$$eval('#category option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['water']);
    expect(await page.textContent('#unit')).toContain('临沂市城市供水单位（示例）');
    await page.reload();
    expect(await page.inputValue('#token')).not.toBe('');
    await page.waitForFunction(() => document.querySelectorAll('#category option').length === 1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#template-xlsx')]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile((await download.path())!);
    expect((wb.worksheets[0].getRow(1).values as string[]).slice(1)).toEqual(templateHeaders(category('water')));
    expect(wb.worksheets[0].rowCount).toBe(2);
    expect(wb.worksheets.map((w) => w.name)).toEqual([category('water').labelZh, '字段说明']);
    await shot(page, '1-unit-categories');
    await context.close();
  });

  it('shows the row errors inline (行号, 列, 值, 原因), every warning, the detected encoding, and a partial success as a warning', async () => {
    const file = clerkFile();
    const csv = path.join(dir, '处罚-有错.csv');
    // an extra column the category does not know: a warning, its row still loads
    const text = toCsv(file.delivered).toString('utf8').split('\r\n').map((l, i) => (l === '' ? l : `${l},${i === 0 ? '经办人' : '张三'}`)).join('\r\n');
    writeFileSync(csv, text);
    const { context, page } = await open(await tokenOf('市发展改革委'));
    await upload(page, csv);
    expect(await page.getAttribute('#message', 'class')).toBe('warn');
    expect(await page.textContent('#message')).toContain('部分入库');
    expect(await page.textContent('#batch-status')).toContain('部分入库');
    expect(await page.textContent('#batch-encoding')).toBe('UTF-8');
    const errors = await page.$$eval('#errors tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(errors.map((e) => e[0])).toEqual(['3', '5', '7', '9']);
    expect(errors[0].slice(0, 3)).toEqual(['3', '统一社会信用代码', '9.1371325002061E+17']);
    expect(errors[0][3]).toContain('科学计数法');
    expect(errors[2][1]).toBe('违法事实');
    const warnings = await page.$$eval('#warnings tr', (trs) => trs.map((tr) => tr.textContent));
    expect(warnings).toEqual([expect.stringContaining('未识别的列「经办人」')]);
    await shot(page, '2-inline-errors-partial');
    await context.close();
  });

  it('uploads an .xlsx workbook, and the fixed Excel report back as the correction: all loaded, shown in green, the original batch has nothing open', async () => {
    const file = clerkFile();
    const xlsx = path.join(dir, '处罚.xlsx');
    writeFileSync(xlsx, await toXlsx(file.delivered.map((r) => ({ ...r, decision_no: `${r.decision_no}-页面` }))));
    const fixedInput = { ...file, fixed: file.fixed.map((r) => ({ ...r, decision_no: `${r.decision_no}-页面` })) };
    const { context, page } = await open(await tokenOf('市发展改革委'));
    await upload(page, xlsx);
    expect(await page.textContent('#batch-encoding')).toBe('Excel 工作簿（工作表「行政处罚」）');
    expect(await page.$$eval('#errors tr', (trs) => trs.length)).toBe(4);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#rejects-xlsx')]);
    expect(download.suggestedFilename()).toBe('处罚-错误报告.xlsx');
    const fixed = path.join(dir, '处罚-错误报告.xlsx');
    writeFileSync(fixed, await fixXlsxReport(readFileSync((await download.path())!), fixedInput, (i) => i + 2));
    await upload(page, fixed);
    expect(await page.getAttribute('#message', 'class')).toBe('ok');
    expect(await page.textContent('#message')).toContain('已标记为已更正');
    expect(await page.textContent('#batch-encoding')).toBe('Excel 工作簿（工作表「错误报告」）');
    expect(await page.$$eval('#warnings tr', (trs) => trs.length)).toBe(0);
    // the recent batches: the correction first, the original below with nothing left open
    await page.waitForFunction(() => document.querySelectorAll('#recent tr').length >= 2);
    const recent = await page.$$eval('#recent tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(recent[0].slice(1, 7)).toEqual(['处罚-错误报告.xlsx', '行政处罚', '已入库', '4', '0', '0']);
    expect(recent[1].slice(1, 8)).toEqual(['处罚.xlsx', '行政处罚', '错误行已全部更正', '10', '4', '0', '']);
    await shot(page, '3-xlsx-correction');
    await context.close();
  });

  it('tells the clerk who chose the wrong category which one the file looks like', async () => {
    const csv = path.join(dir, '处罚-类别错.csv');
    writeFileSync(csv, toCsv(clerkFile(2).fixed));
    const { context, page } = await open(await tokenOf('市发展改革委'));
    await upload(page, csv, 'licensing');
    expect(await page.getAttribute('#message', 'class')).toBe('error');
    expect(await page.textContent('#message')).toContain('此文件看起来是行政处罚数据');
    expect(await page.textContent('#batch-status')).toBe('已拒收：整批未入库');
    await context.close();
  });

  it('shows upload progress in bytes and processing progress in rows for a 100,000-row file', async () => {
    const file = hundredThousandRows();
    const size = readFileSync(file).length;
    const { context, page } = await open(await tokenOf('市发展改革委'));
    const seen = await recordProgress(page);
    await page.selectOption('#category', 'penalty');
    await page.setInputFiles('#file', file);
    await page.click('#submit');
    await page.waitForFunction(() => Number(document.getElementById('rows-progress')!.dataset.rows ?? 0) > 0, undefined, { timeout: 120_000 });
    await shot(page, '4-progress-in-process');
    await page.waitForSelector('#message.ok, #message.warn, #message.error', { timeout: 180_000 });
    const s = await seen();
    expect(Math.max(...s.bytes)).toBe(Number(await page.getAttribute('#upload-progress', 'data-total')));
    expect(Math.max(...s.bytes)).toBeGreaterThan(size);
    expect(s.bytes.some((b) => b < size)).toBe(true);
    const during = s.rows.filter((r) => r > 0 && r < 100_000);
    expect(during.length).toBeGreaterThan(0);
    expect([...during].sort((a, b) => a - b)).toEqual(during);
    expect(await page.textContent('[data-count="accepted"]')).toBe('100000');
    expect(await page.getAttribute('#message', 'class')).toBe('ok');
    await context.close();
  }, 300_000);
});

describe('the upload page with queued uploads', () => {
  const cfg = loadCollectionConfig({ REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: testPrefix(), CREDIT_ETL_RETRY_DELAY_MS: '100', CREDIT_ETL_JOB_LOCK_MS: '30000' });
  let conn: QueueConnection;
  let queue: Queue<JobPayloads[typeof QUEUE.upload]>;
  let q: ApiHarness;
  let worker: CollectionWorker;
  let queuedBase: string;
  beforeAll(async () => {
    conn = connectQueues(cfg);
    queue = new Queue(QUEUE.upload, { connection: conn.connection, prefix: conn.prefix });
    q = await createApiHarness('api_clerk_page_q', { uploadQueue: { queue, retryDelayMs: cfg.retryDelayMs } });
    queuedBase = await q.app.listen({ host: '127.0.0.1', port: 0 });
    worker = await startCollectionWorker({ db: q.t.db, log: silentLog, cfg, conn });
  });
  afterAll(async () => {
    await worker?.close();
    await queue?.close();
    await conn?.connection.quit();
    await deletePrefix(REDIS_URL, cfg.queuePrefix);
    await q?.close();
  });

  it('shows the rows processed while a queued 100,000-row batch runs, then its counts', async () => {
    const token = (await q.token('provider', '市发展改革委')).authorization.slice('Bearer '.length);
    const { context, page } = await open(token, queuedBase);
    const seen = await recordProgress(page);
    await page.selectOption('#category', 'penalty');
    await page.setInputFiles('#file', hundredThousandRows());
    await page.click('#submit');
    await page.waitForFunction(() => Number(document.getElementById('rows-progress')!.dataset.rows ?? 0) > 0, undefined, { timeout: 120_000 });
    await shot(page, '5-progress-queued');
    await page.waitForSelector('#message.ok, #message.warn, #message.error', { timeout: 180_000 });
    const during = (await seen()).rows.filter((r) => r > 0 && r < 100_000);
    expect(during.length).toBeGreaterThan(0);
    expect(await page.textContent('[data-count="read"]')).toBe('100000');
    await context.close();
  }, 300_000);
});
