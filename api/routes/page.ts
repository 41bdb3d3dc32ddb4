// The upload page for provider clerks, in Chinese, rendered on the server from the schemas: no
// framework, one small script. The page itself is open; every call it makes carries the clerk's token.
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { XLSX_MIME } from '../../pipelines/report-xlsx.ts';
import { categories, findCategory } from '../../schemas/registry.ts';
import { templateCsv, writeTemplateXlsx } from '../../schemas/template.ts';

const script = readFileSync(new URL('../page/upload.client.js', import.meta.url), 'utf8');
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function uploadPage(): string {
  const options = categories().map((c) => `<option value="${esc(c.id)}">${esc(c.labelZh)}（${esc(c.sharing)}）</option>`).join('');
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>信用信息报送 · 临沂市综合金融服务平台</title>
<style>
  body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif; margin: 0; background: #f4f6f9; color: #1f2d3d; }
  header { background: #1d4e89; color: #fff; padding: 16px 32px; }
  header h1 { margin: 0; font-size: 22px; font-weight: 600; }
  header p { margin: 4px 0 0; font-size: 14px; opacity: .85; }
  main { max-width: 760px; margin: 24px auto; padding: 0 16px; }
  section { background: #fff; border-radius: 6px; padding: 20px 24px; margin-bottom: 16px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  h2 { font-size: 17px; margin: 0 0 14px; }
  label { display: block; margin: 12px 0 4px; font-weight: 600; font-size: 14px; }
  .hint { font-size: 13px; color: #5a6b7d; margin: 2px 0 0; }
  input, select { font: inherit; font-size: 15px; padding: 6px 8px; width: 100%; box-sizing: border-box; border: 1px solid #c4ccd6; border-radius: 4px; }
  button { font: inherit; font-size: 15px; padding: 8px 20px; margin-top: 16px; border: 0; border-radius: 4px; background: #1d4e89; color: #fff; cursor: pointer; }
  button:disabled { background: #8aa3c2; cursor: default; }
  #message { margin: 12px 0 0; font-size: 15px; }
  #message.error { color: #b42318; } #message.ok { color: #1a7f37; } #message.busy { color: #1d4e89; }
  table { border-collapse: collapse; margin-top: 8px; min-width: 280px; }
  th, td { border-bottom: 1px solid #e3e8ee; padding: 6px 12px; text-align: left; font-size: 15px; }
  td { text-align: right; font-variant-numeric: tabular-nums; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; font-size: 15px; }
  dt { color: #5a6b7d; }
</style>
</head>
<body>
<header><h1>信用信息报送</h1><p>临沂市综合金融服务平台 · 数据提供单位批量上传（CSV）</p></header>
<main>
<section>
  <h2>上传批次</h2>
  <form id="upload-form">
    <label for="token">访问令牌</label>
    <input id="token" type="password" autocomplete="off" placeholder="cetl_…">
    <p class="hint">由平台管理员发放；报送单位按令牌确定，不能在表单或文件中指定。</p>
    <label for="category">信息类别</label>
    <select id="category">${options}</select>
    <label for="encoding">文件编码</label>
    <select id="encoding"><option value="auto">自动识别（UTF-8 / GBK）</option><option value="utf-8">UTF-8</option><option value="gbk">GBK（Excel 另存为 CSV）</option></select>
    <label for="file">CSV 文件</label>
    <input id="file" type="file" accept=".csv,text/csv">
    <p class="hint">表头可用中文字段名或其常用别名，列顺序不限。</p>
    <button id="submit" type="submit">上传并校验</button>
  </form>
  <p id="message" role="status"></p>
</section>
<section id="result" hidden>
  <h2>批次结果</h2>
  <dl>
    <dt>文件</dt><dd id="batch-file"></dd>
    <dt>类别</dt><dd id="batch-category"></dd>
    <dt>报送单位</dt><dd id="batch-deliverer"></dd>
    <dt>状态</dt><dd id="batch-status"></dd>
  </dl>
  <table><tbody id="counts"></tbody></table>
  <p id="refusal"></p>
  <button id="rejects" type="button" hidden>下载错误报告（Excel 可打开）</button>
</section>
</main>
<script src="/upload/app.js"></script>
</body>
</html>`;
}

export const pageRoutes: FastifyPluginAsync = async (app) => {
  const html = uploadPage();
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/upload'));
  app.get('/upload', {
    schema: { tags: ['page'], summary: '报送页面 / the upload page', security: [], response: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } } },
  }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(html));
  app.get('/templates/:file', {
    schema: {
      tags: ['page'],
      summary: '填报模板（附件表头、一行可通过校验的示例、字段说明）/ the template of a category: its headers, an example row that passes validation, and in the workbook a sheet describing each field',
      security: [],
      params: { type: 'object', required: ['file'], properties: { file: { type: 'string', pattern: '^[a-z]+\\.(csv|xlsx)$', description: 'penalty.xlsx, water.csv …' } } },
      response: {
        200: { description: '模板 / the template', content: { [XLSX_MIME]: { schema: { type: 'string', format: 'binary' } }, 'text/csv': { schema: { type: 'string' } } } },
        404: { $ref: 'Error#' },
      },
    },
  }, async (req, reply) => {
    const [id, fmt] = (req.params as { file: string }).file.split('.');
    const spec = findCategory(id);
    if (!spec || spec.id !== id) return reply.callNotFound();
    const name = encodeURIComponent(`${spec.labelZh}-模板.${fmt}`);
    reply.header('content-disposition', `attachment; filename="${spec.id}-template.${fmt}"; filename*=UTF-8''${name}`);
    if (fmt === 'csv') return reply.type('text/csv; charset=utf-8').send(templateCsv(spec));
    const out = new PassThrough();
    writeTemplateXlsx(out, spec).catch((err) => out.destroy(err));
    return reply.type(XLSX_MIME).send(out);
  });
  app.get('/upload/app.js', {
    schema: { tags: ['page'], summary: '报送页面脚本 / the upload page\'s script', security: [], response: { 200: { description: 'JavaScript', content: { 'text/javascript': { schema: { type: 'string' } } } } } },
  }, async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(script));
};
