// A source's records in the schema's terms: its fieldMapping renames the provider's fields to schema
// field keys, and only schema fields are kept (a provider's record ids and timestamps are its own
// bookkeeping, not credit data). A field the provider already names by the schema key passes as is.
import { category, type CategoryId } from '../schemas/registry.ts';
import type { SourceConfigBase, ProviderRecord } from './types.ts';

/** The schema field keys of a category, in schema order: the header rowsSource gets. */
export function schemaKeys(id: CategoryId): string[] {
  return category(id).fields.map((f) => f.key);
}

export function toSchemaRecord(source: Pick<SourceConfigBase, 'category' | 'fieldMapping'>, record: ProviderRecord): Record<string, unknown> {
  const keys = category(source.category).field;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    const key = source.fieldMapping?.[name] ?? name;
    if (keys.has(key)) out[key] = value;
  }
  return out;
}
