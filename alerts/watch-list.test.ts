// Borrower lists as banks keep them: Chinese or English headers in any order, extra columns, blank
// lines, an xlsx with dates as dates; every bad cell named with its line and column.
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { expect, it } from 'vitest';
import { readListFile, watchesFromTable } from './watch-list.ts';

const U1 = '91371326765330802K';
const U2 = '913713000460008664';

it('finds the columns by name, skips blank lines, reads types and dates', () => {
  const r = watchesFromTable([
    ['企业名称', '截止日期', '统一社会信用代码', '事件类型', '贷款编号'],
    ['甲', '2027-06-30', ` ${U1.toLowerCase()} `, 'penalty.created，licence.revoked', 'JK-1'],
    ['', '', '', '', ''],
    ['乙', '', U2, '', ''],
  ]);
  expect(r.problems).toEqual([]);
  expect(r.watches).toEqual([
    { subjectUscc: U1, eventTypes: ['penalty.created', 'licence.revoked'], loanRef: 'JK-1', activeFrom: undefined, activeUntil: '2027-06-30' },
    { subjectUscc: U2, eventTypes: [], loanRef: undefined, activeFrom: undefined, activeUntil: undefined },
  ]);
});

it('names each bad cell with its line, column, value and why, in Chinese and English', () => {
  const r = watchesFromTable([
    ['uscc', 'types', 'from', 'until'],
    ['91371326765330802X', 'penalty.created', '2026-01-01', ''],
    [U1, 'default', '2026-13-01', '2025-01-01'],
  ]);
  expect(r.watches).toEqual([]);
  expect(r.problems.map((p) => [p.line, p.column, p.value])).toEqual([[2, 'uscc', '91371326765330802X'], [3, 'types', 'default'], [3, 'from', '2026-13-01']]);
  expect(r.problems[0].messageZh).toMatch(/统一社会信用代码无效/);
  expect(r.problems[0].messageEn).toMatch(/not a valid USCC/);
  expect(watchesFromTable([[U1, 'x'], [U2, 'y']]).problems[0]).toMatchObject({ line: 1, messageEn: expect.stringMatching(/no 统一社会信用代码/) });
});

it('reads an xlsx (dates as dates) and a GBK CSV alike', async () => {
  const wb = new ExcelJS.Workbook();
  // a hidden sheet before it (a template's drop-down lists) is not the list
  const lists = wb.addWorksheet('选项');
  lists.addRow(['不是名单']);
  lists.state = 'hidden';
  const ws = wb.addWorksheet('名单');
  ws.addRow(['统一社会信用代码', '起始日期']);
  ws.addRow([U1, new Date('2026-12-01T00:00:00Z')]);
  expect(await readListFile('a.XLSX', Buffer.from(await wb.xlsx.writeBuffer()))).toEqual([['统一社会信用代码', '起始日期'], [U1, '2026-12-01']]);
  // what clerks' sheets hold: rich text, a formula, a date typed with a time, an error, a number
  const more = new ExcelJS.Workbook();
  const m = more.addWorksheet('名单');
  m.addRow(['统一社会信用代码', '起始日期', '贷款编号', '截止日期']);
  m.addRow([{ richText: [{ text: U1.slice(0, 9) }, { text: U1.slice(9) }] }, new Date('2026-12-01T08:30:00Z'), 20260001, { formula: 'B2+30', result: new Date('2026-12-31T00:00:00Z') }]);
  m.addRow([{ formula: 'A2', result: U1 }, { error: '#N/A' }, { text: '借据二', hyperlink: 'http://bank.example/loan/2' }, null]);
  expect(await readListFile('b.xlsx', Buffer.from(await more.xlsx.writeBuffer()))).toEqual([
    ['统一社会信用代码', '起始日期', '贷款编号', '截止日期'],
    [U1, '2026-12-01', '20260001', '2026-12-31'],
    [U1, '#N/A', '借据二', ''],
  ]);
  expect(await readListFile('a.csv', iconv.encode(`统一社会信用代码,贷款编号\r\n${U1},借据一\r\n`, 'gbk'))).toEqual([['统一社会信用代码', '贷款编号'], [U1, '借据一']]);
});
