import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../limits.ts';
import type { BatchInput } from '../types.ts';
import { cellText, dateText, numberText, WorkbookError, xlsxSource } from './read-xlsx.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-xlsx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(file: string, sheet?: string): Promise<BatchInput[]> {
  const out: BatchInput[] = [];
  for await (const r of xlsxSource(file, { sheet, limits: DEFAULT_LIMITS }).records) out.push(r);
  return out;
}
const rows = (rs: BatchInput[]) => rs.map((r) => (r.kind === 'row' ? [r.row.line, ...r.row.cells] : r.kind));

describe('cells as the clerk sees them', () => {
  it('writes whole numbers below 10^15 in full and longer ones as Excel shows them, in scientific notation', () => {
    expect(numberText(371302198507160)).toBe('371302198507160');
    expect(numberText(913713250020609710)).toBe('9.1371325002061E+17');
    expect(numberText(1.5e20)).toBe('1.5E+20');
    expect(numberText(0.1 + 0.2)).toBe('0.3');
    expect(numberText(12.35)).toBe('12.35');
    expect(numberText(-4)).toBe('-4');
  });

  it('writes dates as YYYY-MM-DD, with the time only when there is one', () => {
    expect(dateText(new Date(Date.UTC(2024, 2, 5)))).toBe('2024-03-05');
    expect(dateText(new Date(Date.UTC(2024, 2, 5, 8, 30)))).toBe('2024-03-05 08:30:00');
  });

  it('reads rich text, formulas, hyperlinks and booleans as their text', () => {
    expect(cellText({ richText: [{ text: '临沂' }, { text: '市' }] })).toBe('临沂市');
    expect(cellText({ formula: 'A1&B1', result: 'ab' })).toBe('ab');
    expect(cellText({ formula: '1+1', result: 2 })).toBe('2');
    expect(cellText({ text: '官网', hyperlink: 'http://x' })).toBe('官网');
    expect(cellText(true)).toBe('TRUE');
    expect(cellText(null)).toBe('');
  });
});

describe('xlsxSource', () => {
  it('reads the first sheet with Excel\'s row numbers, skips empty rows but counts them, and pads short rows', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('处罚');
    wb.addWorksheet('其他').addRow(['not', 'read']);
    ws.getRow(2).values = ['企业名称', '统一社会信用代码', '处罚日期', '金额'];
    ws.getRow(3).values = ['甲', 913713250020609710, new Date(Date.UTC(2024, 4, 20)), 2];
    ws.getRow(5).values = ['乙', '91371300328348377N'];
    ws.getCell('C3').numFmt = 'yyyy/m/d';
    const file = path.join(dir, 'a.xlsx');
    await wb.xlsx.writeFile(file);
    expect(rows(await read(file))).toEqual([
      [2, '企业名称', '统一社会信用代码', '处罚日期', '金额'],
      [3, '甲', '9.1371325002061E+17', '2024-05-20', '2'],
      [5, '乙', '91371300328348377N', '', ''],
    ]);
    expect(rows(await read(file, '其他'))).toEqual([[1, 'not', 'read']]);
  });

  it('reads by default the first sheet the clerk sees, passing over hidden ones, and a hidden one when named', async () => {
    const wb = new ExcelJS.Workbook();
    const lists = wb.addWorksheet('下拉选项');
    lists.addRow(['罚款', '警告']);
    lists.state = 'hidden';
    wb.addWorksheet('处罚').addRow(['企业名称']);
    const file = path.join(dir, 'hidden-first.xlsx');
    await wb.xlsx.writeFile(file);
    expect(rows(await read(file))).toEqual([[1, '企业名称']]);
    expect(rows(await read(file, '下拉选项'))).toEqual([[1, '罚款', '警告']]);
  });

  it('describes the file: its fingerprint, size and the sheet read', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('第一页').addRow(['a']);
    const file = path.join(dir, 'b.xlsx');
    await wb.xlsx.writeFile(file);
    const src = xlsxSource(file, { limits: DEFAULT_LIMITS });
    for await (const _ of src.records);
    expect(src.describe()).toMatchObject({ encoding: 'xlsx:第一页', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(src.describe().sizeBytes).toBeGreaterThan(0);
  });

  it('reads a workbook whose parts are stored uncompressed, workbook.xml last, the same way every time', async () => {
    // exceljs's own streaming parse ended its walk of such a ZIP before workbook.xml in most reads
    // here (and, under load, of exceljs's own deflated files): a sound workbook was refused
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('说明').addRow(['填表说明']);
    wb.addWorksheet('数据').addRow(['企业名称', '统一社会信用代码']);
    const zip = await JSZip.loadAsync(await wb.xlsx.writeBuffer());
    // a sheet nobody asked for may be broken: it is never opened
    const first = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    zip.file('xl/worksheets/sheet1.xml', `${first.slice(0, -40)}<row r="x"><c><<<`);
    const file = path.join(dir, 'stored.xlsx');
    writeFileSync(file, await zip.generateAsync({ type: 'nodebuffer', compression: 'STORE' }));
    expect(Object.keys(zip.files).at(-1)).toBe('xl/workbook.xml');
    for (let i = 0; i < 20; i++) expect(rows(await read(file, '数据'))).toEqual([[1, '企业名称', '统一社会信用代码']]);
    await expect(read(file, '没有')).rejects.toSatisfy((e: unknown) => e instanceof WorkbookError && e.issueCode === 'R_SHEET_NOT_FOUND' && e.message.includes('说明、数据'));
    await expect(read(file)).rejects.toSatisfy((e: unknown) => e instanceof WorkbookError && e.issueCode === 'R_WORKBOOK_UNREADABLE' && e.detailEn.includes('disallowed character'));
    // a sheet the workbook lists but does not hold is a damaged file, not a missing sheet
    zip.remove('xl/worksheets/sheet2.xml');
    writeFileSync(file, await zip.generateAsync({ type: 'nodebuffer', compression: 'STORE' }));
    await expect(read(file, '数据')).rejects.toSatisfy((e: unknown) => e instanceof WorkbookError && e.issueCode === 'R_WORKBOOK_UNREADABLE' && e.detailEn.includes('xl/worksheets/sheet2.xml'));
  });

  it('refuses a sheet that is not there, naming the sheets that are, and a ZIP that is not a workbook', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('数据').addRow(['a']);
    const file = path.join(dir, 'c.xlsx');
    await wb.xlsx.writeFile(file);
    await expect(read(file, '缺少')).rejects.toSatisfy((e: unknown) => e instanceof WorkbookError && e.issueCode === 'R_SHEET_NOT_FOUND' && e.message.includes('数据'));
    const broken = path.join(dir, 'broken.xlsx');
    writeFileSync(broken, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(64, 7)]));
    await expect(read(broken)).rejects.toSatisfy((e: unknown) => e instanceof WorkbookError && e.issueCode === 'R_WORKBOOK_UNREADABLE');
  });
});
