// The JSON Schema fields every source has (connectors/types.ts SourceConfigBase); each kind's
// configSchema adds its own.
import { CATEGORY_IDS } from '../schemas/registry.ts';

const baseProperties = {
  id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
  kind: { type: 'string' },
  category: { enum: CATEGORY_IDS },
  provider: { type: 'string', minLength: 1 },
  // Six fields (with seconds) or five, as BullMQ's cron parser takes them.
  schedule: { type: 'string', pattern: '^\\S+( \\S+){4,5}$' },
  fieldMapping: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
  description: { type: 'string' },
  errorBudget: {
    type: 'object', additionalProperties: false, minProperties: 1,
    properties: { maxRejectRatio: { type: 'number', minimum: 0, maximum: 1 }, maxRejects: { type: 'integer', minimum: 0 } },
  },
} as const;
const baseRequired = ['id', 'kind', 'category', 'provider', 'schedule'] as const;

/** A kind's config schema: the base fields plus its own, nothing else allowed. */
export function sourceSchema(kind: string, properties: Record<string, unknown>, required: readonly string[]): Readonly<Record<string, unknown>> {
  return {
    type: 'object',
    additionalProperties: false,
    required: [...baseRequired, ...required],
    properties: { ...baseProperties, kind: { const: kind }, ...properties },
  };
}
