// What the batch registry calls a batch a connector fetched: the source and the cursor it started
// from (a delivered file keeps its own name). One home for writing the name and for shortening it
// in a table.
import type { JsonValue } from '../connectors/types.ts';

const SEP = ' from ';

export const sourceBatchName = (sourceId: string, cursor: JsonValue | undefined): string => `${sourceId}${SEP}${JSON.stringify(cursor ?? null)}`;

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** "water-utility-api from {"value":"2025-07-01 02:00:04+00","ids":[…]}" -> "water-utility-api @ 2025-07-01 02:00:04+00"; a file name as it is. */
export function shortBatchName(name: string): string {
  const at = name.indexOf(SEP);
  if (at < 0) return name;
  let cursor: unknown;
  try {
    cursor = JSON.parse(name.slice(at + SEP.length));
  } catch {
    return name;
  }
  const source = name.slice(0, at);
  if (cursor === null) return `${source} @ 起始 start`;
  if (typeof cursor !== 'object') return `${source} @ ${cut(String(cursor), 28)}`;
  // A watermark ({ value, ids }) says where it is in its value; a per-enterprise cursor (one
  // watermark per USCC) is too long to show: its size says enough.
  const c = cursor as Record<string, unknown>;
  if ('value' in c) return `${source} @ ${cut(String(c.value), 28)}`;
  const values = Object.values(c);
  if (values.length && values.every((v) => v !== null && typeof v === 'object')) return `${source} @ ${values.length} 家企业的游标 cursors`;
  return `${source} @ ${cut(JSON.stringify(c), 28)}`;
}
