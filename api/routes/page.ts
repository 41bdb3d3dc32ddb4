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
  // Every category is listed until the token names its unit; the script then keeps only the unit's own.
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
  main { max-width: 960px; margin: 24px auto; padding: 0 16px; }
  section { background: #fff; border-radius: 6px; padding: 20px 24px; margin-bottom: 16px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  h2 { font-size: 17px; margin: 0 0 14px; }
  h3 { font-size: 15px; margin: 18px 0 6px; }
  label { display: block; margin: 12px 0 4px; font-weight: 600; font-size: 14px; }
  .hint { font-size: 13px; color: #5a6b7d; margin: 2px 0 0; }
  .row { display: grid; grid-template-columns: 1fr 1fr; gap: 0 16px; }
  input, select { font: inherit; font-size: 15px; padding: 6px 8px; width: 100%; box-sizing: border-box; border: 1px solid #c4ccd6; border-radius: 4px; }
  button { font: inherit; font-size: 15px; padding: 8px 20px; margin-top: 16px; border: 0; border-radius: 4px; background: #1d4e89; color: #fff; cursor: pointer; }
  button.secondary { background: #e8eef7; color: #1d4e89; margin-top: 8px; padding: 6px 14px; font-size: 14px; }
  button.link { background: none; color: #1d4e89; padding: 0; margin: 0; font-size: 14px; text-decoration: underline; }
  button:disabled { background: #8aa3c2; cursor: default; }
  a { color: #1d4e89; }
  #unit { font-size: 14px; color: #1a7f37; margin: 4px 0 0; }
  #templates { font-size: 14px; margin: 6px 0 0; }
  #message { margin: 12px 0 0; font-size: 15px; padding: 8px 12px; border-radius: 4px; }
  #message:empty { display: none; }
  #message.error { color: #b42318; background: #fef3f2; } #message.ok { color: #1a7f37; background: #ecfdf3; }
  #message.warn { color: #8a4b00; background: #fffaeb; border: 1px solid #fec84b; } #message.busy { color: #1d4e89; background: #eef4fb; }
  .progress { font-size: 14px; color: #1d4e89; margin: 6px 0 0; }
  .progress:empty { display: none; }
  progress { width: 100%; height: 10px; }
  table { border-collapse: collapse; margin-top: 8px; width: 100%; }
  th, td { border-bottom: 1px solid #e3e8ee; padding: 5px 10px; text-align: left; font-size: 14px; vertical-align: top; }
  #counts td { text-align: right; font-variant-numeric: tabular-nums; }
  #counts { width: auto; min-width: 280px; }
  td.value { font-family: ui-monospace, monospace; word-break: break-all; min-width: 11em; }
  #errors td:nth-child(-n+2), #warnings td:nth-child(-n+2), th { white-space: nowrap; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; font-size: 15px; }
  dt { color: #5a6b7d; }
  .status-loaded { color: #1a7f37; } .status-partial { color: #8a4b00; } .status-refused, .status-failed { color: #b42318; } .status-received { color: #1d4e89; }
</style>
</head>
<body>
<header><h1>信用信息报送</h1><p>临沂市综合金融服务平台 · 数据提供单位批量上传（Excel .xlsx 或 CSV）</p></header>
<main>
<section>
  <h2>上传批次</h2>
  <form id="upload-form">
    <label for="token">访问令牌</label>
    <input id="token" type="password" autocomplete="off" placeholder="cetl_…">
    <p class="hint">由平台管理员发放；报送单位按令牌确定。令牌只保存在本浏览器窗口中，关闭后需重新填写。</p>
    <p id="unit" role="status"></p>
    <label for="category">信息类别</label>
    <select id="category">${options}</select>
    <p id="templates">下载填报模板：<a id="template-xlsx" href="#" download>Excel 模板（.xlsx）</a> · <a id="template-csv" href="#" download>CSV 模板</a>（含表头、一行示例和字段说明）</p>
    <label for="file">文件</label>
    <input id="file" type="file" accept=".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet">
    <p class="hint">Excel 工作簿（.xlsx）或 CSV。表头可用中文字段名或其常用别名，列顺序不限。修改后的错误报告可直接上传。</p>
    <div class="row">
      <div>
        <label for="sheet">工作表（仅 .xlsx，可不填）</label>
        <input id="sheet" type="text" placeholder="默认第一个可见工作表">
      </div>
      <div>
        <label for="encoding">CSV 文件编码</label>
        <select id="encoding"><option value="auto">自动识别（UTF-8 / GBK）</option><option value="utf-8">UTF-8</option><option value="gbk">GBK（Excel 另存为 CSV）</option></select>
      </div>
    </div>
    <label for="corrects">更正的批次号（可不填）</label>
    <input id="corrects" type="text" placeholder="上传修改后的错误报告时系统自动识别">
    <button id="submit" type="submit">上传并校验</button>
  </form>
  <p id="upload-progress" class="progress"></p>
  <p id="rows-progress" class="progress"></p>
  <p id="message" role="status"></p>
</section>
<section id="result" hidden>
  <h2>批次结果</h2>
  <dl>
    <dt>文件</dt><dd id="batch-file"></dd>
    <dt>类别</dt><dd id="batch-category"></dd>
    <dt>报送单位</dt><dd id="batch-deliverer"></dd>
    <dt>识别的编码</dt><dd id="batch-encoding"></dd>
    <dt>状态</dt><dd id="batch-status"></dd>
  </dl>
  <table id="counts"><tbody id="count-rows"></tbody></table>
  <p id="refusal"></p>
  <div id="reports" hidden>
    <button id="rejects-xlsx" type="button">下载错误报告（Excel，修改后可直接上传）</button>
    <button id="rejects" type="button" class="secondary">下载错误报告（CSV）</button>
  </div>
  <div id="errors-box" hidden>
    <h3 id="errors-title">错误行</h3>
    <table><thead><tr><th>行号</th><th>列</th><th>值</th><th>原因</th></tr></thead><tbody id="errors"></tbody></table>
  </div>
  <div id="warnings-box" hidden>
    <h3 id="warnings-title">警告</h3>
    <table><thead><tr><th>行号</th><th>列</th><th>说明</th></tr></thead><tbody id="warnings"></tbody></table>
  </div>
</section>
<section id="recent-box" hidden>
  <h2>本单位最近的批次</h2>
  <table><thead><tr><th>接收时间</th><th>文件</th><th>类别</th><th>状态</th><th>读取</th><th>被拒绝</th><th>未更正</th><th></th></tr></thead><tbody id="recent"></tbody></table>
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
