// The states of a batch in the registry (batches.status): registered and waiting (a queued upload),
// then one of the outcomes a pipeline run reports. The migration's CHECK constraint holds the same list.
import type { BatchOutcome } from '../pipelines/types.ts';

export type BatchStatus = 'received' | BatchOutcome;

export const BATCH_STATUSES = ['received', 'loaded', 'refused', 'failed'] as const satisfies readonly BatchStatus[];

/** A batch in one of these states has its final outcome: its job, if any, has nothing left to do. */
export const isSettled = (s: BatchStatus): boolean => s === 'loaded' || s === 'refused';
