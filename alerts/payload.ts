// The body of an alert: thin, as the Standard Webhooks guidance and the access log both want. It names
// the event and the record; the record itself is read through the profile API, where the read is logged.
import type { DeliveryWork } from '../store/alerts.ts';

export function alertPayload(e: DeliveryWork['event']) {
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
