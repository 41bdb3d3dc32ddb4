import { describe, expect, it } from 'vitest';
import { makeIssue } from './issues.ts';
import { neutraliseCell, reportHeader, reportLayout, reportLine } from './report.ts';

describe('rejection report', () => {
  it('neutralises cells Excel would run as formulas', () => {
    expect(['=SUM(A1)', '+1', '-2', '@x', '\tx', 'ok', '3-4'].map(neutraliseCell)).toEqual(["'=SUM(A1)", "'+1", "'-2", "'@x", "'\tx", 'ok', '3-4']);
  });

  it('starts with a BOM and adds 行号 and 错误原因 after the original headers', () => {
    expect(reportHeader(reportLayout(['企业名称', '统一社会信用代码']))).toBe('\ufeff企业名称,统一社会信用代码,行号,错误原因\r\n');
  });

  it('quotes, pads a malformed row to the header width, and joins the reasons', () => {
    const issues = [makeIssue('E_REQUIRED', { line: 4, column: '违法事实' }), makeIssue('E_DATE', { line: 4, column: '行政处罚决定日期', value: 'x' })];
    expect(reportLine(reportLayout(['企业名称', '违法事实', '行政处罚决定日期']), 4, ['a,b', '=cmd'], issues)).toBe(`"a,b",'=cmd,,4,「违法事实」为必填项，不能为空；「行政处罚决定日期」「x」不是有效日期（可用 YYYY-MM-DD、YYYY/M/D、YYYYMMDD、YYYY年M月D日）\r\n`);
  });

  it('a report of a correction keeps one 行号 and one 错误原因, its own: the ones its file brought are left out', () => {
    const issues = [makeIssue('E_REQUIRED', { line: 3, column: '违法事实' })];
    // the .xlsx report puts the pair first, the CSV report last; a clerk may also add spaces
    for (const file of [['行号', '错误原因', '企业名称', '违法事实'], ['企业名称', '违法事实', ' 行号', '错误原因 ']]) {
      const layout = reportLayout(file);
      const at = (name: string) => file.findIndex((h) => h.trim() === name);
      const cells = Object.assign(Array<string>(4), { [at('行号')]: '7', [at('错误原因')]: '旧的原因', [at('企业名称')]: '某公司', [at('违法事实')]: '' });
      expect(reportHeader(layout)).toBe('\ufeff企业名称,违法事实,行号,错误原因\r\n');
      expect(reportLine(layout, 3, cells, issues)).toBe('某公司,,3,「违法事实」为必填项，不能为空\r\n');
    }
    // a malformed record's raw text stays in the first column, whatever column the file had there
    expect(reportLayout(['行号', '错误原因', '企业名称', '违法事实']).cells(['7,旧,"某公司']).slice(0, 2)).toEqual(['7,旧,"某公司', '']);
    // cells past the file's columns stay after them
    expect(reportLayout(['企业名称', '行号']).cells(['某公司', '7', 'extra'])).toEqual(['某公司', 'extra']);
  });
});
