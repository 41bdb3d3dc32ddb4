// The nightly schedules, derived from the sources file: one BullMQ job scheduler per cron pattern
// (tz Asia/Shanghai), whose job opens one run for every source on that pattern. Installing is an
// upsert, and schedulers for patterns no source uses any more are removed.
import type { Queue } from 'bullmq';
import type { SourceConfigBase } from '../connectors/types.ts';
import { QUEUE, type JobPayloads } from './queues.ts';

export const TIME_ZONE = 'Asia/Shanghai';

export interface Schedule {
  readonly id: string;
  readonly pattern: string;
  readonly sourceIds: readonly string[];
}

function schedulesOf(sources: readonly SourceConfigBase[]): Schedule[] {
  const byPattern = new Map<string, string[]>();
  for (const s of sources) byPattern.set(s.schedule, [...(byPattern.get(s.schedule) ?? []), s.id]);
  // Scheduler ids must stay stable for one pattern and hold no ':' (BullMQ job ids derive from them).
  return [...byPattern].map(([pattern, sourceIds]) => ({ id: `nightly ${pattern.trim().split(/\s+/).join('_')}`, pattern, sourceIds }));
}

export async function installSchedules(trigger: Queue<JobPayloads[typeof QUEUE.trigger]>, sources: readonly SourceConfigBase[]): Promise<{ installed: Schedule[]; removed: string[] }> {
  const wanted = schedulesOf(sources);
  for (const s of wanted) {
    await trigger.upsertJobScheduler(s.id, { pattern: s.pattern, tz: TIME_ZONE }, { name: 'nightly', data: { sourceIds: s.sourceIds } });
  }
  const keep = new Set(wanted.map((s) => s.id));
  const removed: string[] = [];
  for (const existing of await trigger.getJobSchedulers()) {
    if (!keep.has(existing.key)) {
      await trigger.removeJobScheduler(existing.key);
      removed.push(existing.key);
    }
  }
  return { installed: wanted, removed };
}
