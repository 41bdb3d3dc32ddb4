// The body of an alert: thin, as the Standard Webhooks guidance and the access log both want. It names
// the event and the record; the record itself is read through the profile API, where the read is logged.
import type { CategoryId } from '../schemas/registry.ts';

/** An event as it goes out (store/alerts.ts reads it for an attempt). */
export interface AlertEvent {
  readonly id: string; readonly type: string; readonly category: CategoryId; readonly subjectUscc: string; readonly severity: string;
  readonly recordId: number; readonly recordVersion: number; readonly batchId: string | null; readonly sourceUnit: string | null;
  readonly sourceLine: number | null; readonly occurredOn: string | null; readonly detectedAt: string;
}

export function alertPayload(e: AlertEvent) {
  return {
    type: e.type,
    timestamp: e.detectedAt,
    data: {
      eventId: e.id, category: e.category, subjectUscc: e.subjectUscc, severity: e.severity, recordId: e.recordId, recordVersion: e.recordVersion,
      occurredOn: e.occurredOn, provenance: { batchId: e.batchId, sourceUnit: e.sourceUnit, sourceLine: e.sourceLine },
      profile: `/enterprises/${e.subjectUscc}`,
    },
  };
}
