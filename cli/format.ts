// Human-readable output of the CLI: reconciled batch summaries and enterprise profiles.
import type { BatchReport } from '../pipelines/run-batch.ts';
import type { readEnterprise } from '../api/governed.ts';
import { shortBatchName } from '../jobs/batch-name.ts';
import type { BatchRow } from '../store/queries.ts';
import { renderTable } from './tables.ts';
import { category, type CategoryId } from '../schemas/registry.ts';

const STATUS_ZH: Record<string, string> = { loaded: '已入库', refused: '已退回', failed: '失败', received: '处理中' };
const n = (x: number) => x.toLocaleString('en-US');

export function formatBatchReport(r: BatchReport): string {
  const lines = [
    `批次 batch ${r.batchId}  ${r.status} (${STATUS_ZH[r.status]})  ${category(r.category as CategoryId).labelZh}  ${r.fileName}`,
    `  报送单位 deliverer ${r.deliveredBy}; 编码 encoding ${r.encoding ?? '-'}; ${n(r.sizeBytes)} bytes; ${(r.durationMs / 1000).toFixed(1)} s`,
    `  读取 read ${n(r.read)} = 接受 accepted ${n(r.accepted)} + 拒绝 rejected ${n(r.rejected)}`,
  ];
  if (r.status === 'loaded') {
    lines.push(`  接受 accepted ${n(r.accepted)} = 新增 inserted ${n(r.inserted)} + 更新 updated ${n(r.updated)} + 未变 unchanged ${n(r.unchanged)} + 文件内重复 duplicates ${n(r.duplicates)}`);
    if (r.recognised) {
      const { rows, warnings } = r.recognised;
      const zh = warnings > 0 ? `；其中 ${n(warnings)} 条警告已在首次入库时给出，不再逐条列出（--check-every-row 可重新列出）` : '';
      const en = warnings > 0 ? `; their ${n(warnings)} warnings were given when they were first loaded and are not listed again (--check-every-row lists them)` : '';
      lines.push(`  其中 ${n(rows)} 行与库中记录逐字相同，免于重复校验${zh}`);
      lines.push(`  ${n(rows)} rows matched stored records cell for cell and were not checked again${en}`);
    }
  }
  if (r.refusal) lines.push(`  退回原因 refused: ${r.refusal.messageZh} / ${r.refusal.messageEn}`);
  if (r.error) lines.push(`  错误 error: ${r.error}`);
  for (const i of r.issues.slice(0, 10)) lines.push(`  第${i.line}行 line ${i.line} [${i.code}] ${i.messageZh}`);
  if (r.rejected > 0) lines.push(`  完整错误报告 full report: credit-etl rejects ${r.batchId} --out rejects.csv`);
  if (r.warningCount > 0) lines.push(`  警告 warnings: ${n(r.warningCount)}${r.warnings[0] ? `, e.g. ${r.warnings[0].messageZh}` : ''}`);
  return lines.join('\n');
}

export function formatSummaryTable(reports: readonly BatchReport[]): string {
  const head = ['category', 'status', 'read', 'accepted', 'rejected', 'inserted', 'updated', 'unchanged', 'duplicates', 'reconciles'];
  const rows = reports.map((r) => [
    `${r.category} ${category(r.category as CategoryId).labelZh}`, r.status, r.read, r.accepted, r.rejected, r.inserted, r.updated, r.unchanged, r.duplicates,
    r.read === r.accepted + r.rejected && (r.status !== 'loaded' || r.accepted === r.inserted + r.updated + r.unchanged + r.duplicates) ? 'yes' : 'NO',
  ].map(String));
  const width = (i: number) => Math.max(...[head, ...rows].map((row) => [...row[i]].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 2 : 1), 0)));
  const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - [...s].reduce((a, ch) => a + (ch.charCodeAt(0) > 0x2e80 ? 2 : 1), 0)));
  const widths = head.map((_, i) => width(i));
  return [head, ...rows].map((row) => row.map((c, i) => pad(c, widths[i])).join('  ').trimEnd()).join('\n');
}

/** The governed profile (api/governed.ts readEnterprise) for a terminal: masked as the reader may see it. */
export function formatProfile(p: Awaited<ReturnType<typeof readEnterprise>>): string {
  if (p.categories.every((c) => c.records.length === 0)) return `未找到企业 no records for ${p.uscc}`;
  const out = [`企业信用档案 profile: ${p.name ?? ''} (${p.uscc})  as of ${p.asOf}`];
  for (const c of p.categories) {
    if (c.records.length === 0) continue;
    out.push(`\n${c.labelZh} (${c.category}): ${c.records.length}${c.maskedFields.length ? `  已遮蔽 masked: ${c.maskedFields.join(', ')}` : ''}`);
    for (const r of c.records.slice(0, 5)) {
      out.push(`  ${r.eventDate ?? ''}  ${r.naturalKey}  v${r.provenance.version}`);
      out.push(`    来源 source ${r.provenance.sourceUnit}; 报送 delivered by ${r.provenance.deliveredBy}; batch ${r.provenance.batchId} line ${r.provenance.sourceLine}; loaded ${r.provenance.loadedAt}`);
      for (const h of r.history) out.push(`    历史版本 earlier v${h.provenance.version}: batch ${h.provenance.batchId} line ${h.provenance.sourceLine}, superseded ${h.supersededAt}`);
    }
    if (c.records.length > 5) out.push(`  … ${c.records.length - 5} more (--json for all)`);
  }
  for (const w of p.withheld) out.push(`\n${w.labelZh} (${w.category}): 未提供 withheld — ${w.reasonZh}`);
  for (const [id, ind] of Object.entries(p.indicators)) {
    const avg = (w: { average: number | null; statusZh: string; missingMonths: readonly string[] }) =>
      `${w.average ?? '—'}（${w.statusZh}${w.average !== null && w.missingMonths.length ? `，缺 ${w.missingMonths.join('、')}` : ''}）`;
    for (const a of ind.accounts) {
      const flag = a.disagreement ? '  ⚠ 与报送值不一致 differs from the provider-stated figures' : '';
      out.push(`\n${id === 'water' ? '水费' : '燃气费'}指标 ${id} account ${a.accountNo} as of ${ind.asOf}: 近3个月月均 ${avg(a.avg3m)}, 近6个月月均 ${avg(a.avg6m)}, `
        + `当前是否欠费 ${a.inArrears ? '是' : '否'} (余额 balance ${a.balance}, latest ${a.latestMonth ?? '—'})${flag}`);
    }
  }
  return out.join('\n');
}

/** "2026-12-05T23:54:33.042Z" -> "12-05 23:54" (UTC; the year and seconds are in --json) */
export const minuteUtc = (iso: string) => `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;

/** Recent batches, one row each; `--json` has every field. */
export function formatBatchTable(rows: readonly BatchRow[], width?: number): string {
  // The batch column shows the id's first 8 characters: `credit-etl rejects` takes any unique prefix.
  return renderTable([
    { head: '接收 (UTC)' }, { head: '批次' }, { head: '类别' }, { head: '状态' },
    { head: '读取', align: 'right' }, { head: '拒绝', align: 'right' }, { head: '新增 ~更新 =未变 ×重复', optional: true },
    { head: '文件或数据源 @ 游标', flex: true }, { head: '报送单位', flex: true, optional: true },
  ], rows.map((b) => [
    minuteUtc(b.received_at), b.id.slice(0, 8), b.category, b.status, n(b.read), n(b.rejected),
    `+${n(b.inserted)} ~${n(b.updated)} =${n(b.unchanged)} ×${n(b.duplicates)}`, shortBatchName(b.file_name), b.delivered_by,
  ]), width);
}
