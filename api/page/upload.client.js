// The upload page's script: sends the file with the clerk's token, then follows the batch until it
// is finished and shows its reconciled counts. Plain browser JavaScript, no build step.
const $ = (id) => document.getElementById(id);
const STATUS = { received: '处理中…', loaded: '已入库', refused: '已拒收：整批未入库', failed: '处理失败' };
const COUNTS = [['read', '读取行数'], ['accepted', '通过校验'], ['rejected', '被拒绝'], ['inserted', '新增'], ['updated', '更新'],
  ['unchanged', '未变化'], ['duplicates', '文件内重复'], ['warnings', '警告']];

const tokenInput = $('token');
tokenInput.value = sessionStorage.getItem('credit-etl-token') ?? '';
tokenInput.addEventListener('change', () => sessionStorage.setItem('credit-etl-token', tokenInput.value.trim()));
const auth = () => ({ authorization: `Bearer ${tokenInput.value.trim()}` });

function say(text, kind) {
  const el = $('message');
  el.textContent = text;
  el.className = kind ?? '';
}

function render(b) {
  $('result').hidden = false;
  $('batch-file').textContent = b.fileName;
  $('batch-category').textContent = b.categoryLabelZh ?? b.category;
  $('batch-deliverer').textContent = b.deliveredBy;
  $('batch-status').textContent = STATUS[b.status] ?? b.status;
  $('batch-status').dataset.status = b.status;
  const body = $('counts');
  body.replaceChildren(...COUNTS.map(([key, label]) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.textContent = label;
    const td = document.createElement('td');
    td.textContent = String(b.counts[key]);
    td.dataset.count = key;
    tr.append(th, td);
    return tr;
  }));
  $('refusal').textContent = b.refusal ? `拒收原因：${b.refusal.messageZh}` : b.error ? `错误：${b.error}` : '';
  $('rejects').hidden = !(b.counts.rejected > 0);
  $('rejects').dataset.href = b.links.rejects;
  $('rejects').dataset.name = `${b.fileName.replace(/\.csv$/i, '')}-错误报告.csv`;
}

async function readJson(res) {
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.messageZh ? `${body.messageZh}（${body.code}）` : `请求失败（HTTP ${res.status}）`);
  return body;
}

async function follow(id) {
  for (;;) {
    const b = await readJson(await fetch(`/batches/${id}`, { headers: auth() }));
    render(b);
    if (b.status !== 'received') return b;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

$('upload-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const file = $('file').files[0];
  if (!file) return say('请选择要上传的文件', 'error');
  if (!tokenInput.value.trim()) return say('请填写本单位的访问令牌', 'error');
  sessionStorage.setItem('credit-etl-token', tokenInput.value.trim());
  const form = new FormData();
  form.append('category', $('category').value);
  form.append('encoding', $('encoding').value);
  form.append('file', file);
  $('submit').disabled = true;
  $('result').hidden = true;
  say('正在上传并校验，请稍候…', 'busy');
  try {
    const created = await readJson(await fetch('/batches', { method: 'POST', headers: auth(), body: form }));
    const b = await follow(created.id);
    say(b.status === 'loaded' ? (b.counts.rejected ? '已入库；部分行被拒绝，请下载错误报告修改后重新报送这些行。' : '已全部入库。') : STATUS[b.status], b.status === 'loaded' ? 'ok' : 'error');
  } catch (err) {
    say(err.message, 'error');
  } finally {
    $('submit').disabled = false;
  }
});

$('rejects').addEventListener('click', async () => {
  try {
    const res = await fetch($('rejects').dataset.href, { headers: auth() });
    if (!res.ok) await readJson(res);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = $('rejects').dataset.name;
    a.click();
    URL.revokeObjectURL(url);
  } catch (err) {
    say(err.message, 'error');
  }
});
