// The upload page end to end in headless Chromium: a clerk's token, a category, a fixture file, and
// the reconciled counts and rejection report coming back on the page.
import { readFileSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../test/helpers/api.ts';
import { fixture } from '../test/helpers/ingest.ts';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

let h: ApiHarness;
let browser: Browser;
let base: string;
beforeAll(async () => {
  h = await createApiHarness('api_page');
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

it('uploads a fixture file through the page and shows the reconciled counts and the rejection report', async () => {
  const token = (await h.token('provider', '市发展改革委')).authorization.slice('Bearer '.length);
  const want = JSON.parse(readFileSync(fixture('dirty/expected.json'), 'utf8'))['penalty.bad-values.csv'];
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${base}/upload`);
  expect(await page.title()).toContain('信用信息报送');
  await page.fill('#token', token);
  await page.selectOption('#category', 'penalty');
  await page.setInputFiles('#file', fixture('dirty/penalty.bad-values.csv'));
  await page.click('#submit');
  await page.waitForSelector('#batch-status[data-status="loaded"]');
  await page.waitForSelector('#message.warn');

  const count = (key: string) => page.textContent(`[data-count="${key}"]`).then(Number);
  expect(await count('read')).toBe(want.records);
  expect(await count('accepted')).toBe(want.accepted);
  expect(await count('rejected')).toBe(want.rejected.length);
  expect(await count('read')).toBe((await count('accepted')) + (await count('rejected')));
  expect(await page.textContent('#batch-deliverer')).toBe('临沂市发展和改革委员会');
  // some rows were rejected: a partial success, not shown as a plain success
  expect(await page.textContent('#batch-status')).toBe('部分入库：有行被拒绝');
  expect(await page.textContent('#message')).toContain('错误报告');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#rejects')]);
  expect(download.suggestedFilename()).toBe('penalty.bad-values-错误报告.csv');
  const report = readFileSync((await download.path())!, 'utf8');
  expect(report.startsWith('\ufeff企业名称')).toBe(true);
  expect(report.trimEnd().split('\r\n')).toHaveLength(1 + want.rejected.length);
  await context.close();
});

it('shows the service\'s Chinese message when the token is not valid', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/upload`);
  await page.fill('#token', 'cetl_not-a-token');
  await page.setInputFiles('#file', fixture('penalty.csv'));
  await page.click('#submit');
  await page.waitForSelector('#message.error');
  expect(await page.textContent('#message')).toContain('无效的访问令牌');
  await page.close();
});
