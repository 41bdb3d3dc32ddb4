// Reads the fingerprints of the records a deliverer holds in a category (pipelines/known-rows.ts),
// with their natural keys, as one COPY ... TO STDOUT on the batch's connection: about a second per
// million records, where fetching them as rows would hold them all in memory at once.
import { to as copyTo } from 'pg-copy-streams';
import { keyHash, KnownRows, KnownSet } from '../pipelines/known-rows.ts';

/** COPY's text format escapes backslash, tab, newline and the other C escapes in a value. */
const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
const unescapeCopy = (s: string) => (s.includes('\\') ? s.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c) : s);

/**
 * The deliverer's fingerprints in the category, in a table sized for `expected` records (the
 * batches' count of what the deliverer holds, never fewer); null when it holds no record with one.
 */
export async function readKnownRows(conn: any, category: string, deliveredBy: string, expected: number): Promise<KnownRows | null> {
  const sql = `COPY (SELECT source_hash >> 32, (source_hash << 32) >> 32, natural_key FROM credit_records
    WHERE category = ${conn.escapeLiteral(category)} AND delivered_by = ${conn.escapeLiteral(deliveredBy)} AND source_hash IS NOT NULL) TO STDOUT`;
  let known = new KnownRows(KnownSet.withRoomFor(expected));
  let rest = '';
  const stream = conn.query(copyTo(sql));
  stream.setEncoding('utf8');
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = rest + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; start = end + 1, end = text.indexOf('\n', start)) {
      const t1 = text.indexOf('\t', start);
      const t2 = text.indexOf('\t', t1 + 1);
      const hi = Number(text.slice(start, t1));
      const lo = Number(text.slice(t1 + 1, t2));
      const key = keyHash(unescapeCopy(text.slice(t2 + 1, end)));
      if (!known.add({ hi, lo }, key)) {
        known = known.grown();
        known.add({ hi, lo }, key);
      }
    }
    rest = text.slice(start);
  }
  return known.set.size === 0 ? null : known;
}
