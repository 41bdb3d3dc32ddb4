// Stage 1 and 2 for an Excel workbook (.xlsx): one worksheet -> records, each with the row number
// Excel shows, cells as text the way the clerk sees them. exceljs's streaming reader keeps memory to
// the shared-string table and one row; the rest of the pipeline is the CSV path's (runBatch).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { FileTooLargeError, type IngestLimits } from '../limits.ts';
import type { RecordSource } from '../run-batch.ts';
import type { ParsedRecord } from '../types.ts';

/** The signature of a ZIP container, which an .xlsx workbook is. */
export const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04] as const;

export const isZip = (head: Uint8Array) => ZIP_SIGNATURE.every((b, i) => head[i] === b);

/** The workbook cannot be read, or has no such sheet: the batch is refused whole. */
export class WorkbookError extends Error {
  readonly code = 'E_WORKBOOK';
  /** `message` is the Chinese detail; `detailEn` its English twin, so each message stays in one language. */
  constructor(readonly issueCode: 'R_WORKBOOK_UNREADABLE' | 'R_SHEET_NOT_FOUND', message: string, readonly detailEn: string = message) {
    super(message);
    this.name = 'WorkbookError';
  }
}

/** What the batch registry shows as the "encoding" of a workbook: the format and the sheet read. */
export const workbookEncoding = (sheet: string) => `xlsx:${sheet}`;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * A number as Excel's formula bar shows it: whole numbers below 10^15 in full (a 15-digit ID typed
 * as a number survives), others to 15 significant digits. Beyond that Excel has already lost
 * digits, and the text is the scientific form it shows (9.1371325002061E+17), which the code and ID
 * columns reject with E_SCIENTIFIC_NOTATION.
 */
export function numberText(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const p = Number(n.toPrecision(15));
  const a = Math.abs(p);
  if (a < 1e15 && (a >= 1e-6 || p === 0)) return String(p);
  const [mant, exp] = n.toExponential(14).split('e');
  const e = Number(exp);
  return `${mant.replace(/\.?0+$/, '')}E${e < 0 ? '-' : '+'}${pad(Math.abs(e))}`;
}

/** The library's own words are English; the Chinese message says what they mean for the clerk. */
const unreadable = (e: unknown) => new WorkbookError('R_WORKBOOK_UNREADABLE', '文件已损坏或不是 Excel 工作簿', (e as Error).message);

/** A date cell: exceljs gives it as UTC; a time of day is kept only when there is one. */
export function dateText(d: Date): string {
  if (Number.isNaN(d.getTime())) return '';
  const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const h = d.getUTCHours();
  const m = d.getUTCMinutes();
  const s = d.getUTCSeconds();
  return h === 0 && m === 0 && s === 0 ? day : `${day} ${pad(h)}:${pad(m)}:${pad(s)}`;
}

/** One cell's value (any of exceljs's shapes) as text. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) return dateText(v);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.richText)) return (o.richText as { text?: string }[]).map((r) => r.text ?? '').join('');
    if ('formula' in o || 'sharedFormula' in o) return cellText(o.result);
    if ('error' in o) return String(o.error);
    if ('text' in o) return cellText(o.text);
  }
  return String(v);
}

interface SheetRef { readonly name: string; readonly target: string; readonly state?: string }

/**
 * The workbook's sheets in tab order with the part each lives in (xl/worksheets/sheetN.xml), from
 * what the reader parsed of workbook.xml and its relationships, fields its typings do not declare.
 */
function sheetsOf(reader: any): SheetRef[] {
  const rels: { Id: string; Target: string }[] = reader.workbookRels ?? [];
  const sheets: { name: string; rId: string; state?: string }[] = reader.model?.sheets ?? [];
  return sheets.map((s) => ({ name: s.name, target: rels.find((r) => r.Id === s.rId)?.Target ?? '', state: s.state }));
}

/**
 * The sheet read when none is named: the first the clerk sees as a tab, else the first. A hidden
 * sheet (a template's drop-down lists) is read only when named.
 */
export function defaultSheet<T>(sheets: readonly T[], stateOf: (s: T) => string | undefined): T | undefined {
  return sheets.find((s) => stateOf(s) !== 'hidden' && stateOf(s) !== 'veryHidden') ?? sheets[0];
}

/** A relationship's target as a path in the ZIP: relative to xl/, or absolute from its root. */
const partPath = (target: string) => (target.startsWith('/') ? target.slice(1) : `xl/${target}`);

/**
 * One worksheet of the workbook, its rows read by exceljs. The ZIP is opened by its central
 * directory and its parts are read in the order the reader needs them. exceljs's own streaming
 * parse walks the ZIP front to back: a sheet stored before workbook.xml and sharedStrings.xml
 * (which is how exceljs itself writes) is spooled to a temporary file, and under load its walk
 * can end before the last entries, so that workbook.xml is never read (a TypeError on
 * `model.sheets`, intermittently, refusing a sound workbook) or a spooled file is deleted before it
 * is opened (an ENOENT outside any caller). Here only the parts needed are read, none is spooled,
 * and the sheets not asked for are never opened.
 */
async function openSheet(file: string, sheet: string | undefined): Promise<{ name: string; rows: AsyncIterable<any> } | { missing: string[] }> {
  const [{ default: ExcelJS }, { default: unzipper }, { default: iterateStream }] = await Promise.all([
    import('exceljs'),
    import('unzipper'),
    // @ts-expect-error no typings for exceljs's internal helper
    import('exceljs/lib/utils/iterate-stream.js'),
  ]);
  const zip = await unzipper.Open.file(file);
  const part = (path: string) => zip.files.find((f) => f.path === path)?.stream();
  const reader: any = new ExcelJS.stream.xlsx.WorkbookReader(file, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore' });
  const rels = part('xl/_rels/workbook.xml.rels');
  if (rels) await reader._parseRels(rels);
  const book = part('xl/workbook.xml');
  if (book) await reader._parseWorkbook(book);
  const strings = part('xl/sharedStrings.xml');
  if (strings) for await (const _ of reader._parseSharedStrings(strings));
  const styles = part('xl/styles.xml');
  if (styles) await reader._parseStyles(styles);
  const sheets = sheetsOf(reader);
  const ref = sheet === undefined ? defaultSheet(sheets, (s) => s.state) : sheets.find((s) => s.name === sheet.trim());
  if (!ref) return { missing: sheets.map((s) => s.name) };
  const data = part(partPath(ref.target));
  if (!data) throw new Error(`the sheet "${ref.name}" is listed, but its part ${partPath(ref.target)} is not in the file`);
  const sheetNo = /sheet(\d+)\.xml$/.exec(ref.target)?.[1] ?? '1';
  // unzipper's streams predate async iteration; exceljs's helper gives the chunks its parser reads
  const [{ value: rows }] = [...reader._parseWorksheet(iterateStream(data), sheetNo)];
  return { name: ref.name, rows };
}

export interface XlsxSourceOptions {
  /** The sheet to read; default the first (leftmost) one that is not hidden. */
  readonly sheet?: string;
  readonly limits: IngestLimits;
}

/**
 * A workbook file as a RecordSource. The fingerprint and size are the file's; the line of a record
 * is its row number in Excel. Rows are padded to the header's width, as Excel leaves trailing empty
 * cells out of the file.
 */
export function xlsxSource(file: string, opts: XlsxSourceOptions): RecordSource {
  let described = { sha256: '', sizeBytes: 0, encoding: null as string | null };
  async function* records(): AsyncGenerator<ParsedRecord> {
    const { size } = await stat(file);
    described = { ...described, sizeBytes: size };
    if (size > opts.limits.maxFileBytes) throw new FileTooLargeError(opts.limits.maxFileBytes);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    described = { ...described, sha256: hash.digest('hex') };
    // loaded when a workbook is read, not with the module: a CSV ingest (and its parse threads, which
    // import this module through run-batch) would otherwise carry exceljs, about 15 MB of heap in each
    let opened: Awaited<ReturnType<typeof openSheet>>;
    try {
      opened = await openSheet(file, opts.sheet);
    } catch (e) {
      throw unreadable(e);
    }
    if ('missing' in opened) {
      const names = opened.missing;
      if (opts.sheet !== undefined) throw new WorkbookError('R_SHEET_NOT_FOUND', `「${opts.sheet}」；工作簿中有：${names.join('、') || '（无）'}`, `"${opts.sheet}"; the workbook has: ${names.join(', ') || '(none)'}`);
      throw new WorkbookError('R_WORKBOOK_UNREADABLE', '工作簿中没有工作表', 'the workbook has no worksheet');
    }
    described = { ...described, encoding: workbookEncoding(opened.name) };
    let width = -1;
    try {
      for await (const row of opened.rows) {
        const values: unknown[] = row.values;
        const cells: string[] = [];
        for (let i = 1; i < values.length; i++) cells.push(cellText(values[i]));
        if (width < 0) {
          if (cells.every((c) => c.trim() === '')) continue;
          width = cells.length;
        }
        while (cells.length < width) cells.push('');
        yield { kind: 'row', row: { line: row.number, cells } };
      }
    } catch (e) {
      throw unreadable(e);
    }
  }
  return {
    records: records(),
    describe: () => described,
    progress: () => described,
    drain: async () => undefined,
  };
}
