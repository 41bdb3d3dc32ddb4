// The operator's tables: a header row, every line within the terminal's width, and the file column
// short (a file name, or the source and where its cursor stood).
import { describe, expect, it } from 'vitest';
import { sourceBatchName, shortBatchName } from '../jobs/batch-name.ts';
import type { BatchRow } from '../store/queries.ts';
import { formatBatchTable } from './format.ts';
import { displayWidth, renderTable, wrapCell } from './tables.ts';

const row = (over: Partial<BatchRow>): BatchRow => ({
  id: '9bb47b32-bbc2-423b-93c9-2a9e64e82747', category: 'enforcement', file_name: 'x.csv', sha256: null, size_bytes: null, encoding: null,
  delivered_by: '临沂市大数据局', status: 'loaded', schema_version: '1', received_at: '2026-12-05T23:54:32.819Z', finished_at: null,
  read: 1234, accepted: 1230, rejected: 4, inserted: 1000, updated: 200, unchanged: 20, duplicates: 10, warning_count: 0, refusal: null, error: null, headers: [],
  corrects: null, warnings: [],
  ...over,
});

describe('batch names', () => {
  it('a connector batch shows its source and the cursor it started from, in short', () => {
    const watermark = { value: '2025-07-01 02:00:04+00', ids: Array.from({ length: 400 }, (_, i) => String(i)) };
    expect(shortBatchName(sourceBatchName('enforcement-bigdata-db', watermark))).toBe('enforcement-bigdata-db @ 2025-07-01 02:00:04+00');
    expect(shortBatchName(sourceBatchName('water-utility-api', undefined))).toBe('water-utility-api @ 起始 start');
    expect(shortBatchName(sourceBatchName('rnd', { '91371300MA3C000001': { value: 'a' }, '91371300MA3C000002': { value: 'b' } }))).toBe('rnd @ 2 家企业的游标 cursors');
    expect(shortBatchName(sourceBatchName('paged', { page: 12 }))).toBe('paged @ {"page":12}');
    expect(shortBatchName('处罚信息 from 发改委.csv')).toBe('处罚信息 from 发改委.csv');
  });
});

describe('formatBatchTable', () => {
  const rows = [
    row({ file_name: sourceBatchName('enforcement-bigdata-db', { value: '2025-07-01 02:00:04+00', ids: Array.from({ length: 500 }, (_, i) => String(i)) }) }),
    row({ id: 'a179f054-26cc-48f1-bdc4-a4cbc258d182', category: 'penalty', file_name: '行政处罚-市发展改革委-2025年第三季度双公示数据导出.csv', delivered_by: '临沂市发展和改革委员会' }),
  ];

  it.each([80, 100, 160])('fits %i columns, with a header row', (width) => {
    const lines = formatBatchTable(rows, width).split('\n');
    expect(lines[0]).toMatch(/^接收 \(UTC\)\s+批次\s+类别\s+状态\s+读取\s+拒绝/);
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(width);
    const text = lines.join('\n');
    expect(text).toContain('9bb47b32');
    expect(text).toContain('1,234');
    expect(text.replace(/\s+/g, '')).toContain('enforcement-bigdata-db@2025-07-0102:00:04+00');
    expect(text).not.toContain('"ids"');
  });

  it('leaves the deliverer, then the merge counts, out before squeezing the file name below its minimum', () => {
    expect(formatBatchTable(rows, 170).replace(/\s+/g, '')).toContain('临沂市发展和改革委员会');
    expect(formatBatchTable(rows, 100)).not.toContain('报送单位');
    expect(formatBatchTable(rows, 80)).not.toContain('新增');
  });
});

describe('tables', () => {
  it('wraps by display width, CJK counting two', () => {
    expect(wrapCell('临沂市发展和改革委员会', 8).split('\n')).toEqual(['临沂市发', '展和改革', '委员会']);
    expect(wrapCell('water-utility-api @ 2025', 12).split('\n')).toEqual(['water-', 'utility-api', '@ 2025']);
  });

  it('keeps every column when there is room', () => {
    const t = renderTable([{ head: 'a' }, { head: 'b', flex: true, optional: true }], [['1', 'x']], 40);
    expect(t.split('\n')).toEqual(['a  b', '1  x']);
  });
});
