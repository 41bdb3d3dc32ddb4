// What a spreadsheet or our own report did to a cell: undone where it can be, refused where it cannot.
import { describe, expect, it } from 'vitest';
import { cleanRecords } from '../testkit/generate-fixtures.ts';
import { category, findProviderUnit } from '../schemas/registry.ts';
import { checkRow } from './process-row.ts';
import { neutraliseCell, restoreNeutralised } from './report.ts';
import { mapHeaders } from './stages/map-headers.ts';

const penalty = category('penalty');
const deliverer = findProviderUnit('市生态环境局')!;
const headers = penalty.fields.map((f) => f.labelZh);
const header = mapHeaders(penalty, headers).map;
const good = cleanRecords('penalty').find((r) => r.source_unit === '临沂市生态环境局' || r.source_unit === '')!;
const cellsOf = (over: Record<string, string>) => penalty.fields.map((f) => over[f.key] ?? good[f.key] ?? '');

describe('the apostrophe of formula neutralisation', () => {
  it('is the exact inverse of neutraliseCell, and leaves other apostrophes alone', () => {
    for (const v of ['-', '-37', '=SUM(A1)', '+86', '@x', '\tx', 'ok', "O'Brien", "'abc", '']) expect(restoreNeutralised(neutraliseCell(v))).toBe(v);
    // the documented limit: a value that itself starts with an apostrophe and a formula character
    expect(restoreNeutralised(neutraliseCell("'-"))).toBe('-');
  });

  it('is not stored: a report cell saved back by Excel loads as the original value', () => {
    const row = checkRow(penalty, header, { line: 2, cells: cellsOf({ remarks: "'+86 0539", content: "'-37" }) }, deliverer);
    expect(row.kind).toBe('valid');
    if (row.kind === 'valid') expect([row.fields.remarks, row.fields.content]).toEqual(['+86 0539', '-37']);
  });
});

describe('E_SCIENTIFIC_NOTATION', () => {
  it('rejects a code or ID column a spreadsheet turned into scientific notation, with that one message for the column', () => {
    const row = checkRow(penalty, header, { line: 7, cells: cellsOf({ subject_uscc: '9.1371325002061E+17', legal_rep_id_number: '3.71302198507160E+17' }) }, deliverer);
    expect(row.kind).toBe('rejected');
    if (row.kind !== 'rejected') return;
    const sci = row.issues.filter((i) => i.code === 'E_SCIENTIFIC_NOTATION');
    expect(sci.map((i) => [i.line, i.column, i.value])).toEqual([[7, '统一社会信用代码', '9.1371325002061E+17'], [7, '法定代表人证件号码', '3.71302198507160E+17']]);
    expect(sci[0].messageZh).toContain('科学计数法');
    expect(sci[0].messageZh).toContain('文本');
    expect(row.issues.filter((i) => i.field === 'subject_uscc')).toHaveLength(1);
  });

  it('leaves text columns that are not codes alone', () => {
    const row = checkRow(penalty, header, { line: 2, cells: cellsOf({ remarks: '1.5E+3' }) }, deliverer);
    expect(row.kind).toBe('valid');
  });
});

describe('a corrected report', () => {
  it('has its 行号 and 错误原因 columns recognised without a warning, and each row tells the line it corrects', () => {
    const m = mapHeaders(penalty, ['行号', '错误原因', ...headers]);
    expect(m.warnings).toEqual([]);
    expect(m.refusal).toBeNull();
    expect(m.map.reportLine).toBe(0);
    const row = checkRow(penalty, m.map, { line: 2, cells: ['14', '「违法事实」为必填项', ...cellsOf({})] }, deliverer);
    expect(row).toMatchObject({ kind: 'valid', corrects: 14 });
  });
});

describe('the wrong category', () => {
  it('says which category the headers fit when they fit another one', () => {
    const m = mapHeaders(category('licensing'), headers);
    expect(m.refusal?.code).toBe('R_OTHER_CATEGORY');
    expect(m.refusal?.messageZh).toContain('此文件看起来是行政处罚数据');
    expect(m.warnings).toEqual([]);
  });

  it('keeps the plain refusal when no category fits better', () => {
    const m = mapHeaders(penalty, ['企业名称', '统一社会信用代码']);
    expect(m.refusal?.code).toBe('R_MISSING_COLUMNS');
  });
});
