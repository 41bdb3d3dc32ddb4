// An incremental cursor that neither loses nor repeats rows sharing the cursor value at a page or
// run boundary: the highest value read so far plus the ids already read at exactly that value. The
// next read asks for value >= watermark (inclusive) and drops the ids listed, so a row committed
// later with the same value is still picked up, and the boundary rows are not read twice.
import { MalformedPayloadError } from './errors.ts';

export type CursorValue = string | number;

export interface Watermark {
  readonly value: CursorValue;
  readonly ids: readonly string[];
}

function compare(a: CursorValue, b: CursorValue): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether a row has been read already under this watermark. */
export function covered(wm: Watermark | undefined, value: CursorValue, id: string): boolean {
  if (!wm) return false;
  const c = compare(value, wm.value);
  return c < 0 || (c === 0 && wm.ids.includes(id));
}

/**
 * The watermark after reading `rows` (in ascending cursor order, none covered). A row below the
 * running value means the source does not return rows in cursor order, and a watermark would then
 * skip rows: that is a malformed answer, not something to paper over.
 */
export function advance(wm: Watermark | undefined, rows: readonly { value: CursorValue; id: string }[], source: string): Watermark | undefined {
  let value = wm?.value;
  let ids = wm ? [...wm.ids] : [];
  for (const r of rows) {
    const c = value === undefined ? 1 : compare(r.value, value);
    if (c < 0) {
      throw new MalformedPayloadError(`数据源 ${source} 返回的记录未按更新时间排序（${r.value} 在 ${value} 之后）`,
        `source ${source} returned rows out of cursor order (${r.value} after ${value})`, { source, value: r.value, after: value });
    }
    if (c > 0) {
      value = r.value;
      ids = [];
    }
    ids.push(r.id);
  }
  return value === undefined ? undefined : { value, ids };
}

/**
 * The watermark after rows a database returned sorted by (cursor, id): only equality is used, so
 * it holds for any column type whose text form is canonical (bigint, timestamptz in a UTC session).
 */
export function advanceSorted(wm: Watermark | undefined, rows: readonly { value: CursorValue; id: string }[]): Watermark | undefined {
  const last = rows.at(-1);
  if (!last) return wm;
  const ids = rows.filter((r) => r.value === last.value).map((r) => r.id);
  return { value: last.value, ids: wm && wm.value === last.value ? [...wm.ids, ...ids] : ids };
}

/** A watermark read back from a committed cursor; anything else is a malformed cursor. */
export function parseWatermark(raw: unknown, source: string): Watermark | undefined {
  if (raw === undefined || raw === null) return undefined;
  const w = raw as Partial<Watermark>;
  if ((typeof w.value === 'string' || typeof w.value === 'number') && Array.isArray(w.ids) && w.ids.every((i) => typeof i === 'string')) {
    return { value: w.value, ids: w.ids };
  }
  throw new MalformedPayloadError(`数据源 ${source} 的断点格式无法识别`, `source ${source}: unreadable cursor ${JSON.stringify(raw).slice(0, 200)}`, { source });
}
