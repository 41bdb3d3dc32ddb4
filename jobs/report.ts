// The run report, written by the flow's parent once every source has finished. It is built from the
// ledger alone (never from what Redis remembers), so it is the same whichever worker writes it.
import type { Db } from '../store/db.ts';
import { runSkips, type CollectionSkip } from '../store/collection-skips.ts';
import { finishRun, runSources, type RunStatus, type SourceLedger } from '../store/ledger.ts';

export interface SourceReport extends SourceLedger {
  /** rows the connector yielded = rows read, read = accepted + rejected, accepted = inserted + updated + unchanged + duplicates */
  readonly reconciled: boolean;
}

export interface RunReport {
  readonly runId: string;
  readonly status: Exclude<RunStatus, 'running'>;
  readonly sources: readonly SourceReport[];
  readonly failed: readonly { sourceId: string; code: string | null; error: string | null }[];
  /** Enterprises a per-enterprise source could not collect while the run went on with the others. */
  readonly skipped: readonly (CollectionSkip & { at: string })[];
}

function reconciles(s: SourceLedger): boolean {
  return s.rowsYielded === s.read && s.read === s.accepted + s.rejected && s.accepted === s.inserted + s.updated + s.unchanged + s.duplicates;
}

async function buildRunReport(db: Db, runId: string): Promise<RunReport> {
  const sources = (await runSources(db, runId)).map((s) => ({ ...s, reconciled: reconciles(s) }));
  const failed = sources.filter((s) => s.status !== 'succeeded');
  const status = failed.length === 0 ? 'succeeded' : failed.length === sources.length ? 'failed' : 'partial';
  return { runId, status, sources, failed: failed.map((s) => ({ sourceId: s.sourceId, code: s.errorCode, error: s.error })), skipped: await runSkips(db, runId) };
}

export async function writeRunReport(db: Db, runId: string): Promise<RunReport> {
  const report = await buildRunReport(db, runId);
  await finishRun(db, runId, report.status, report);
  return report;
}
