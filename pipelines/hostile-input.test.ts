// Property tests of the composed pure stages (decode -> parse -> map headers -> normalise ->
// validate -> provenance) on hostile input: arbitrary bytes never throw, every rejected row says
// where and why, and valid rows next to garbage are kept. The sink collects in memory; the store
// itself is exercised by the integration tests.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanRecords } from '../testkit/generate-fixtures.ts';
import { csvLine } from '../testkit/synthetic.ts';
import { category, findProviderUnit } from '../schemas/registry.ts';
import { csvSource, runBatch, type BatchReport, type BatchSink, type SinkClose } from './run-batch.ts';
import type { CreditRecord, RowIssue } from './types.ts';

const penalty = category('penalty');
const HEADER = penalty.fields.map((f) => f.labelZh);
const valid = cleanRecords('penalty').map((r) => penalty.fields.map((f) => r[f.key]));
const enc = new TextEncoder();

class CollectingSink implements BatchSink {
  records: CreditRecord[] = [];
  rejects: { line: number; cells: readonly string[]; issues: readonly RowIssue[] }[] = [];
  async write(r: CreditRecord) {
    this.records.push(r);
  }
  async reject(line: number, cells: readonly string[], issues: readonly RowIssue[]) {
    this.rejects.push({ line, cells, issues });
  }
  async unchanged(): Promise<void> {
    throw new Error('no row is known to a batch without a store');
  }
  async commit(_c: SinkClose) {
    return { inserted: this.records.length, updated: 0, unchanged: 0, duplicates: 0 };
  }
  async fail(e: Error): Promise<void> {
    throw e; // a pure pipeline has no infrastructure to fail: surface it as a bug
  }
}

async function run(chunks: Uint8Array[]): Promise<{ report: BatchReport; sink: CollectingSink }> {
  const sink = new CollectingSink();
  async function* bytes() {
    yield* chunks;
  }
  const report = await runBatch(csvSource(bytes(), 'auto'), {
    batchId: 'b', category: penalty, deliverer: findProviderUnit('ndrc')!, fileName: 'f.csv', receivedAt: '2026-01-01T00:00:00Z',
  }, { sink });
  return { report, sink };
}

/** Splits bytes at the given cut points, so chunk boundaries fall anywhere (inside characters too). */
function cut(b: Uint8Array, points: number[]): Uint8Array[] {
  const ps = [...new Set(points.map((p) => p % (b.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of ps) {
    out.push(b.subarray(at, p));
    at = p;
  }
  out.push(b.subarray(at));
  return out;
}

function checkReport({ report, sink }: { report: BatchReport; sink: CollectingSink }) {
  expect(['loaded', 'refused']).toContain(report.status);
  expect(report.read).toBe(report.accepted + report.rejected);
  expect(sink.rejects.length).toBe(report.rejected);
  for (const r of sink.rejects) {
    expect(r.line).toBeGreaterThanOrEqual(2);
    expect(r.issues.length).toBeGreaterThan(0);
    for (const i of r.issues) {
      expect(i.code).toMatch(/^[EWR]_/);
      expect(i.messageZh.length).toBeGreaterThan(0);
      expect(i.messageEn.length).toBeGreaterThan(0);
    }
  }
}

describe('hostile input', () => {
  it('arbitrary bytes after a valid header never throw, and every rejected row has a line and a reason', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 6 }), async (junk, points) => {
      const bytes = new Uint8Array([...enc.encode(csvLine(HEADER) + '\r\n'), ...junk]);
      checkReport(await run(cut(bytes, points)));
    }), { numRuns: 150 });
  });

  it('arbitrary bytes as a whole file never throw: the batch is loaded or refused with a reason', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (junk) => {
      const out = await run([junk]);
      checkReport(out);
      if (out.report.status === 'refused') expect(out.report.refusal?.messageZh).toBeTruthy();
    }), { numRuns: 150 });
  });

  it('valid rows next to garbage lines are all kept, each with its own line number', async () => {
    // Garbage without quotes: a quote may legitimately join the following lines into one record.
    const garbage = fc.string({ unit: fc.constantFrom(...'abc,;\'=+-@ 　临沂\t\u0000\ufffd'.split('')), minLength: 1, maxLength: 60 });
    await fc.assert(fc.asyncProperty(
      fc.array(fc.oneof(fc.nat({ max: valid.length - 1 }).map((i) => ({ kind: 'valid' as const, i })), garbage.map((g) => ({ kind: 'junk' as const, g }))), { minLength: 1, maxLength: 25 }),
      fc.array(fc.nat(), { maxLength: 4 }),
      async (lines, points) => {
        const used = new Set<number>();
        const rows = lines.filter((l) => l.kind === 'junk' || (!used.has(l.i) && used.add(l.i)));
        const text = [csvLine(HEADER), ...rows.map((l) => (l.kind === 'valid' ? csvLine(valid[l.i]) : l.g))].join('\r\n') + '\r\n';
        const { report, sink } = await run(cut(enc.encode(text), points));
        checkReport({ report, sink });
        const expectedLines = rows.flatMap((l, n) => (l.kind === 'valid' ? [n + 2] : []));
        expect(sink.records.map((r) => r.provenance.sourceLine)).toEqual(expectedLines);
      },
    ), { numRuns: 100 });
  });

  it('an empty file is refused, a header with no rows loads nothing', async () => {
    expect((await run([])).report.refusal?.code).toBe('R_EMPTY_FILE');
    const headerOnly = await run([enc.encode(csvLine(HEADER) + '\r\n')]);
    expect(headerOnly.report).toMatchObject({ status: 'loaded', read: 0, accepted: 0, rejected: 0 });
  });

  it('the outcome does not depend on where the chunks of the file are cut', async () => {
    const text = [csvLine(HEADER), ...valid.slice(0, 8).map(csvLine), 'x,"unclosed', ...valid.slice(8, 12).map(csvLine)].join('\r\n');
    const bytes = enc.encode(text);
    const whole = await run([bytes]);
    await fc.assert(fc.asyncProperty(fc.array(fc.nat(), { maxLength: 8 }), async (points) => {
      const split = await run(cut(bytes, points));
      expect(split.sink.records.map((r) => r.naturalKey)).toEqual(whole.sink.records.map((r) => r.naturalKey));
      expect(split.sink.rejects.map((r) => r.line)).toEqual(whole.sink.rejects.map((r) => r.line));
    }), { numRuns: 60 });
  });
});
