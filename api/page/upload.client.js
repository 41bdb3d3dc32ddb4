// The upload page's script: the clerk's token (kept for the browser session) names the unit, whose
// categories, templates and recent batches are shown; the file goes up with progress in bytes, the
// batch is followed with progress in rows, and its result is shown with the row errors and warnings
// inline. Plain browser JavaScript, no build step.
const $ = (id) => document.getElementById(id);
const STATUS = { received: '处理中…', loaded: '已入库', partial: '部分入库：有行被拒绝', refused: '已拒收：整批未入库', failed: '处理失败' };
const COUNTS = [['read', '读取行数'], ['accepted', '通过校验'], ['rejected', '被拒绝'], ['inserted', '新增'], ['updated', '更新'],
  ['unchanged', '未变化'], ['duplicates', '文件内重复'], ['warnings', '警告']];
const INLINE_ERRORS = 100;
const TOKEN_KEY = 'credit-etl-token';

const tokenInput = $('token');
const auth = () => ({ authorization: `Bearer ${tokenInput.value.trim()}` });
const number = (n) => Number(n).toLocaleString('zh-CN');

function say(text, kind) {
  const el = $('message');
  el.textContent = text;
  el.className = kind ?? '';
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  if (cls) td.className = cls;
  tr.append(td);
  return td;
}

async function readJson(res) {
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.messageZh ? `${body.messageZh}（${body.code}）` : `请求失败（HTTP ${res.status}）`);
  return body;
}

const getJson = async (url) => readJson(await fetch(url, { headers: auth() }));

/** A loaded batch with rejected rows is a partial success: shown as a warning, not in green. */
const outcome = (b) => (b.status === 'loaded' && b.counts.rejected > 0 ? 'partial' : b.status);

function encodingText(e) {
  if (!e) return '—';
  if (e.startsWith('xlsx:')) return `Excel 工作簿（工作表「${e.slice(5)}」）`;
  return { 'utf-8': 'UTF-8', gb18030: 'GBK / GB18030' }[e] ?? e;
}

function templateLinks() {
  const id = $('category').value;
  $('template-xlsx').href = `/templates/${id}.xlsx`;
  $('template-csv').href = `/templates/${id}.csv`;
}

/** The token's unit: its name, its categories only, its recent batches. */
async function loadUnit() {
  const token = tokenInput.value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    const me = await getJson('/me');
    $('unit').textContent = `报送单位：${me.unit}`;
    $('unit').style.color = '';
    const select = $('category');
    const keep = select.value;
    select.replaceChildren(...me.categories.map((c) => {
      const o = document.createElement('option');
      o.value = c.id;
      o.textContent = `${c.labelZh}（${c.sharing}）`;
      return o;
    }));
    if (me.categories.some((c) => c.id === keep)) select.value = keep;
    templateLinks();
    await loadRecent();
  } catch (err) {
    $('unit').textContent = err.message;
    $('unit').style.color = '#b42318';
  }
}

async function loadRecent() {
  const { items } = await getJson('/batches?limit=10');
  $('recent-box').hidden = items.length === 0;
  $('recent').replaceChildren(...items.map((b) => {
    const tr = document.createElement('tr');
    tr.dataset.batch = b.id;
    cell(tr, new Date(b.receivedAt).toLocaleString('zh-CN', { hour12: false }));
    cell(tr, b.fileName);
    cell(tr, b.categoryLabelZh ?? b.category);
    // a partial batch whose rejected rows have all been corrected since
    const settled = outcome(b) === 'partial' && b.openRejects === 0;
    const st = cell(tr, settled ? '错误行已全部更正' : STATUS[outcome(b)] ?? b.status, `status-${settled ? 'loaded' : outcome(b)}`);
    st.dataset.status = outcome(b);
    cell(tr, number(b.counts.read));
    cell(tr, number(b.counts.rejected));
    cell(tr, b.openRejects === undefined ? '' : number(b.openRejects));
    const td = cell(tr, '');
    if (b.counts.rejected > 0 && b.openRejects !== 0) {
      const fix = document.createElement('button');
      fix.type = 'button';
      fix.className = 'link';
      fix.textContent = '上传更正';
      fix.addEventListener('click', () => {
        $('corrects').value = b.id;
        $('category').value = b.category;
        templateLinks();
        $('file').focus();
      });
      td.append(fix);
    }
    return tr;
  }));
}

function renderErrors(rows, total) {
  const issues = rows.flatMap((r) => r.issues.map((i) => ({ ...i, line: i.line ?? r.line }))).slice(0, INLINE_ERRORS);
  $('errors-box').hidden = issues.length === 0;
  $('errors-title').textContent = total > rows.length || issues.length === INLINE_ERRORS
    ? `错误行（共 ${number(total)} 行被拒绝，以下为前 ${issues.length} 个问题；全部见错误报告）`
    : `错误行（${number(total)} 行）`;
  $('errors').replaceChildren(...issues.map((i) => {
    const tr = document.createElement('tr');
    cell(tr, String(i.line));
    cell(tr, i.column ?? '');
    cell(tr, i.value ?? '', 'value');
    cell(tr, i.messageZh);
    return tr;
  }));
}

function renderWarnings(b) {
  const ws = b.warnings ?? [];
  $('warnings-box').hidden = ws.length === 0;
  $('warnings-title').textContent = b.counts.warnings > ws.length ? `警告（共 ${number(b.counts.warnings)} 条，显示前 ${ws.length} 条）` : `警告（${ws.length} 条）`;
  $('warnings').replaceChildren(...ws.map((w) => {
    const tr = document.createElement('tr');
    cell(tr, w.line === null || w.line === undefined ? '' : String(w.line));
    cell(tr, w.column ?? '');
    cell(tr, w.messageZh);
    return tr;
  }));
}

function render(b) {
  $('result').hidden = false;
  $('batch-file').textContent = b.fileName;
  $('batch-category').textContent = b.categoryLabelZh ?? b.category;
  $('batch-deliverer').textContent = b.deliveredBy;
  $('batch-encoding').textContent = encodingText(b.encoding);
  $('batch-encoding').dataset.encoding = b.encoding ?? '';
  const o = outcome(b);
  $('batch-status').textContent = STATUS[o] ?? b.status;
  $('batch-status').dataset.status = b.status;
  $('batch-status').className = `status-${o}`;
  $('count-rows').replaceChildren(...COUNTS.map(([key, label]) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.textContent = label;
    tr.append(th);
    cell(tr, String(b.counts[key])).dataset.count = key;
    return tr;
  }));
  $('refusal').textContent = b.refusal ? `拒收原因：${b.refusal.messageZh}` : b.error ? `错误：${b.error}` : '';
  $('reports').hidden = !(b.counts.rejected > 0);
  const base = b.fileName.replace(/\.(csv|xlsx)$/i, '');
  $('rejects').dataset.href = b.links.rejects;
  $('rejects').dataset.name = `${base}-错误报告.csv`;
  $('rejects-xlsx').dataset.href = b.links.rejectsXlsx;
  $('rejects-xlsx').dataset.name = `${base}-错误报告.xlsx`;
  renderWarnings(b);
}

function showRows(rows, bytes, totalBytes) {
  const el = $('rows-progress');
  el.dataset.rows = String(rows);
  const share = totalBytes ? `（约 ${Math.min(100, Math.round((bytes / totalBytes) * 100))}%）` : '';
  el.textContent = `正在校验入库：已处理 ${number(rows)} 行${share}`;
}

/** Sends the form with progress in bytes; resolves with the answer. */
function send(form) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/batches');
    xhr.setRequestHeader('authorization', auth().authorization);
    xhr.responseType = 'json';
    const el = $('upload-progress');
    xhr.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return;
      el.dataset.bytes = String(e.loaded);
      el.dataset.total = String(e.total);
      el.textContent = e.loaded < e.total ? `正在上传：${number(e.loaded)} / ${number(e.total)} 字节` : `已上传 ${number(e.total)} 字节，服务器正在处理…`;
    });
    xhr.addEventListener('load', () => resolve({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status, body: xhr.response ?? {} }));
    xhr.addEventListener('error', () => reject(new Error('网络错误，上传未完成，请重试')));
    xhr.send(form);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** While the service works on the upload (before it answers), its progress by the page's reference. */
function watchRef(ref) {
  let stop = false;
  (async () => {
    while (!stop) {
      await sleep(400);
      if (stop) break;
      const p = await getJson(`/uploads/${ref}/progress`).catch(() => null);
      if (!stop && p && p.batchId) showRows(p.rows, p.bytes, p.totalBytes);
    }
  })();
  return () => {
    stop = true;
  };
}

/** A queued batch: followed until it is finished, with its progress in rows while it runs. */
async function follow(id) {
  for (;;) {
    const b = await getJson(`/batches/${id}`);
    if (b.status !== 'received') return b;
    if (b.progress) showRows(b.progress.rows, b.progress.bytes, b.progress.totalBytes);
    else $('rows-progress').textContent = '已排队，等待处理…';
    await sleep(700);
  }
}

async function showResult(b) {
  render(b);
  if (b.counts.rejected > 0) {
    const list = await getJson(`${b.links.rejectList}?limit=${INLINE_ERRORS}`);
    renderErrors(list.items, b.counts.rejected);
  } else {
    renderErrors([], 0);
  }
  const o = outcome(b);
  if (o === 'loaded') say(`已全部入库（${number(b.counts.accepted)} 行）。${b.corrects ? '原批次中对应的错误行已标记为已更正。' : ''}`, 'ok');
  else if (o === 'partial') say(`部分入库：${number(b.counts.accepted)} 行已入库，${number(b.counts.rejected)} 行被拒绝。请下载错误报告（Excel），修改标红的单元格后直接上传。`, 'warn');
  else say(b.refusal ? `整批未入库：${b.refusal.messageZh}` : STATUS[b.status] ?? b.status, 'error');
}

$('upload-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const file = $('file').files[0];
  if (!file) return say('请选择要上传的文件', 'error');
  if (!tokenInput.value.trim()) return say('请填写本单位的访问令牌', 'error');
  sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
  const ref = (crypto.randomUUID?.() ?? `${Date.now()}-${Math.random()}`).replace(/[^A-Za-z0-9]/g, '').slice(0, 32);
  const form = new FormData();
  form.append('category', $('category').value);
  form.append('encoding', $('encoding').value);
  if ($('sheet').value.trim()) form.append('sheet', $('sheet').value.trim());
  if ($('corrects').value.trim()) form.append('corrects', $('corrects').value.trim());
  form.append('ref', ref);
  form.append('file', file);
  $('submit').disabled = true;
  $('result').hidden = true;
  $('upload-progress').textContent = '';
  $('rows-progress').textContent = '';
  delete $('rows-progress').dataset.rows;
  say('正在上传并校验，请稍候…', 'busy');
  const stopWatching = watchRef(ref);
  try {
    const res = await send(form);
    stopWatching();
    if (!res.ok) throw new Error(res.body.messageZh ? `${res.body.messageZh}（${res.body.code}）` : `请求失败（HTTP ${res.status}）`);
    const b = res.status === 202 ? await follow(res.body.id) : res.body;
    $('rows-progress').textContent = '';
    const sent = $('upload-progress').dataset.total;
    if (sent) $('upload-progress').textContent = `已上传 ${number(sent)} 字节`;
    await showResult(b);
    $('corrects').value = '';
    await loadRecent().catch(() => undefined);
  } catch (err) {
    say(err.message, 'error');
  } finally {
    stopWatching();
    $('submit').disabled = false;
  }
});

async function download(button) {
  try {
    const res = await fetch(button.dataset.href, { headers: auth() });
    if (!res.ok) await readJson(res);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = button.dataset.name;
    a.click();
    URL.revokeObjectURL(url);
  } catch (err) {
    say(err.message, 'error');
  }
}
$('rejects').addEventListener('click', () => download($('rejects')));
$('rejects-xlsx').addEventListener('click', () => download($('rejects-xlsx')));

$('category').addEventListener('change', templateLinks);
tokenInput.addEventListener('change', loadUnit);
tokenInput.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
templateLinks();
loadUnit();
