import { describe, expect, it } from 'vitest';
import { makeIssue } from './issues.ts';
import { neutraliseCell, reportHeader, reportLine } from './report.ts';

describe('rejection report', () => {
  it('neutralises cells Excel would run as formulas', () => {
    expect(['=SUM(A1)', '+1', '-2', '@x', '\tx', 'ok', '3-4'].map(neutraliseCell)).toEqual(["'=SUM(A1)", "'+1", "'-2", "'@x", "'\tx", 'ok', '3-4']);
  });

  it('starts with a BOM and adds 行号 and 错误原因 after the original headers', () => {
    expect(reportHeader(['企业名称', '统一社会信用代码'])).toBe('\ufeff企业名称,统一社会信用代码,行号,错误原因\r\n');
  });

  it('quotes, pads a malformed row to the header width, and joins the reasons', () => {
    const issues = [makeIssue('E_REQUIRED', { line: 4, column: '违法事实' }), makeIssue('E_DATE', { line: 4, column: '行政处罚决定日期', value: 'x' })];
    expect(reportLine(3, 4, ['a,b', '=cmd'], issues)).toBe(`"a,b",'=cmd,,4,「违法事实」为必填项，不能为空；「行政处罚决定日期」「x」不是有效日期（可用 YYYY-MM-DD、YYYY/M/D、YYYYMMDD、YYYY年M月D日）\r\n`);
  });
});
