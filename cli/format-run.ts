// The run report as an operator reads it on a terminal: one row per source, counts that must
// reconcile, and why a source failed; and the run ledger as a table.
import type { RunReport } from '../jobs/report.ts';
import type { RunRow } from '../store/ledger.ts';
import { minuteUtc } from './format.ts';
import { renderTable } from './tables.ts';

const STATUS_ZH: Record<string, string> = { running: '进行中', succeeded: '成功', partial: '部分失败', failed: '失败', queued: '排队', retrying: '重试中' };
const n = (x: number) => x.toLocaleString('en-US');

export function formatRunReport(r: RunReport): string {
  const table = renderTable([
    { head: '数据源' }, { head: '状态' }, { head: '尝试', align: 'right' }, { head: '批次', align: 'right' },
    { head: '读取', align: 'right' }, { head: '拒绝', align: 'right' }, { head: '新增 ~更新 =未变 ×重复' }, { head: '核对' },
    { head: '错误', flex: true },
  ], r.sources.map((s) => [
    s.sourceId, s.status, String(s.attempts), String(s.batches), n(s.read), n(s.rejected),
    `+${n(s.inserted)} ~${n(s.updated)} =${n(s.unchanged)} ×${n(s.duplicates)}`, s.reconciled ? 'reconciles' : 'DOES NOT RECONCILE',
    s.status === 'succeeded' ? '' : `${s.errorCode ?? 'E_UNKNOWN'}: ${s.error ?? 'did not finish'}`,
  ]));
  // Enterprises a source left out (e.g. an authorisation that ended mid-run), by source.
  const skipped = (r.skipped ?? []).map((k) => `  未采集 skipped ${k.sourceId} ${k.key}: ${k.code} ${k.message}`);
  return [`采集 run ${r.runId}  ${r.status} (${STATUS_ZH[r.status]})`, table, ...skipped].join('\n');
}

const seconds = (from: string, to: string | null) => (to ? `${Math.round((Date.parse(to) - Date.parse(from)) / 1000)} s` : '-');

/** The run ledger, newest first. */
export function formatRunTable(runs: readonly RunRow[]): string {
  return renderTable([
    { head: '开始 (UTC)' }, { head: '运行 run' }, { head: '触发' }, { head: '状态' }, { head: '用时', align: 'right' },
    { head: '数据源 成功/全部' }, { head: '读取', align: 'right' }, { head: '拒绝', align: 'right' }, { head: '失败的数据源', flex: true },
  ], runs.map((r) => {
    const report = r.report as RunReport | null;
    const sources = report?.sources ?? [];
    return [
      minuteUtc(r.created_at), r.id, r.trigger, `${r.status} ${STATUS_ZH[r.status] ?? ''}`, seconds(r.created_at, r.finished_at),
      report ? `${sources.filter((s) => s.status === 'succeeded').length}/${sources.length}` : '-',
      report ? n(sources.reduce((x, s) => x + s.read, 0)) : '-', report ? n(sources.reduce((x, s) => x + s.rejected, 0)) : '-',
      (report?.failed ?? []).map((f) => `${f.sourceId} (${f.code ?? '?'})`).join(', '),
    ];
  }));
}
