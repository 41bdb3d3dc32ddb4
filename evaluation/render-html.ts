// The credit report as one printable HTML page (print CSS for A4), from the same content as the PDF.
import { beijingTime, type ReportContent, type Section, type Table } from './report.ts';

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

function table(t: Table): string {
  const withSource = t.rows.some((r) => r.source);
  const head = [...t.columns, ...(withSource ? ['来源'] : [])].map((c) => `<th>${esc(c)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${[...r.cells, ...(withSource ? [r.source ?? ''] : [])].map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function section(s: Section): string {
  const parts = [`<h2>${esc(s.titleZh)}</h2>`];
  if (s.pairs) parts.push(`<table class="pairs"><tbody>${s.pairs.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`);
  if (s.table && s.table.rows.length) parts.push(table(s.table));
  for (const p of s.paragraphs ?? []) parts.push(`<p>${esc(p)}</p>`);
  for (const sub of s.subsections ?? []) {
    parts.push(`<h3>${esc(sub.titleZh)}${sub.cutoff ? `<small>（信息截止 ${esc(sub.cutoff)}）</small>` : ''}</h3>`);
    if (sub.table) parts.push(table(sub.table));
    if (sub.noteZh) parts.push(`<p class="note">${esc(sub.noteZh)}</p>`);
  }
  return `<section id="${esc(s.id)}">${parts.join('\n')}</section>`;
}

export function renderReportHtml(c: ReportContent, sha256: string, verifyUrl: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(c.titleZh)} ${esc(c.reportNo)}</title>
<style>
@page { size: A4; margin: 20mm 18mm; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", serif; font-size: 10.5pt; color: #000; max-width: 180mm; margin: auto; }
h1 { font-family: "Noto Sans CJK SC", sans-serif; text-align: center; font-size: 20pt; margin-bottom: 4pt; }
h2 { font-family: "Noto Sans CJK SC", sans-serif; font-size: 13pt; border-bottom: 1px solid #000; margin-top: 16pt; }
h3 { font-family: "Noto Sans CJK SC", sans-serif; font-size: 11pt; } h3 small { font-weight: normal; }
.meta { text-align: center; color: #333; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; margin: 4pt 0 8pt; page-break-inside: auto; }
th, td { border: 0.5pt solid #555; padding: 2pt 3pt; vertical-align: top; text-align: left; }
thead th, .pairs th { background: #eee; } .pairs th { width: 30%; }
tr { page-break-inside: avoid; } thead { display: table-header-group; }
p { text-indent: 2em; line-height: 1.6; } .note { color: #333; }
footer { margin-top: 16pt; font-size: 8.5pt; color: #333; word-break: break-all; }
</style></head><body>
<h1>${esc(c.titleZh)}</h1>
<p class="meta">报告编号：${esc(c.reportNo)}　生成时间：${esc(beijingTime(c.generatedAt))}<br>被查询企业：${esc(c.subject.name ?? '—')}（${esc(c.subject.uscc)}）</p>
${c.sections.map(section).join('\n')}
<section id="sources"><h2>来源说明</h2>${c.footnotes.map((f) => `<p class="note">${esc(f.mark)} ${esc(f.textZh)}</p>`).join('')}</section>
<footer>报告核验：内容摘要（SHA-256）<code>${esc(sha256)}</code>；核验地址 ${esc(verifyUrl)}</footer>
</body></html>`;
}
