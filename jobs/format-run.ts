// The run report as an operator reads it on a terminal: one line per source, counts that must
// reconcile, and why a source failed.
import type { RunRow } from '../store/ledger.ts';
import type { RunReport } from './report.ts';

const STATUS_ZH: Record<string, string> = { running: '进行中', succeeded: '成功', partial: '部分失败', failed: '失败', queued: '排队', retrying: '重试中' };

export function formatRunReport(r: RunReport): string {
  const lines = [`采集 run ${r.runId}  ${r.status} (${STATUS_ZH[r.status]})`];
  for (const s of r.sources) {
    lines.push(`  ${s.sourceId.padEnd(24)} ${s.status.padEnd(9)} attempts ${s.attempts}  batches ${s.batches}  read ${s.read} = ${s.accepted} + ${s.rejected} rejected;`
      + ` +${s.inserted} ~${s.updated} =${s.unchanged} dup ${s.duplicates}  ${s.reconciled ? 'reconciles' : 'DOES NOT RECONCILE'}`);
    if (s.status !== 'succeeded') lines.push(`    ${s.errorCode ?? 'E_UNKNOWN'}: ${s.error ?? 'did not finish'}`);
    for (const k of (r.skipped ?? []).filter((x) => x.sourceId === s.sourceId)) lines.push(`    未采集 skipped ${k.key}: ${k.code} ${k.message}`);
  }
  return lines.join('\n');
}

export function formatRunLine(r: RunRow): string {
  return `${r.created_at}  ${r.id}  ${r.trigger.padEnd(8)} ${r.status.padEnd(9)} ${r.finished_at ?? '-'}`;
}
