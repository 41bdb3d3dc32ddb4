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

interface SheetRef { readonly name: string; readonly target: string }

/**
 * The workbook's sheets in tab order with the part each lives in (xl/worksheets/sheetN.xml). The
 * streaming reader names a worksheet only "Sheet<N>" after its part; the names are in what it parsed
 * of workbook.xml and its relationships, fields its typings do not declare.
 */
function sheetsOf(reader: any): SheetRef[] {
  const rels: { Id: string; Target: string }[] = reader.workbookRels ?? [];
  const sheets: { name: string; rId: string }[] = reader.model?.sheets ?? [];
  return sheets.map((s) => ({ name: s.name, target: rels.find((r) => r.Id === s.rId)?.Target ?? '' }));
}

export interface XlsxSourceOptions {
  /** The sheet to read; default the first (leftmost) one. */
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
    // loaded here, not with the module: a CSV ingest (and its parse threads, which import this module
    // through run-batch) would otherwise carry exceljs, about 15 MB of heap in each thread
    const { default: ExcelJS } = await import('exceljs');
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore' });
    let found = false;
    try {
      for await (const ws of reader as AsyncIterable<any>) {
        // Sheets after the one read are never opened: the reader stops here.
        if (found) break;
        const sheets = sheetsOf(reader);
        const part = `sheet${ws.id}.xml`;
        const ref = sheets.find((s) => s.target.endsWith(part));
        const name = ref?.name ?? ws.name;
        const wanted = opts.sheet === undefined ? (sheets.length ? sheets[0].target.endsWith(part) : true) : name === opts.sheet.trim();
        if (!wanted) {
          // Read to its end all the same: exceljs may have spooled the sheet to a temporary file that
          // it deletes as soon as the next sheet is asked for, while the stream over it has yet to
          // open it: an ENOENT thrown outside any caller, which ended the process.
          for await (const _ of ws as AsyncIterable<unknown>);
          continue;
        }
        found = true;
        described = { ...described, encoding: workbookEncoding(name) };
        let width = -1;
        for await (const row of ws as AsyncIterable<any>) {
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
      }
    } catch (e) {
      if (e instanceof FileTooLargeError) throw e;
      // The library's own words are English; the Chinese message says what it means for the clerk.
      throw new WorkbookError('R_WORKBOOK_UNREADABLE', '文件已损坏或不是 Excel 工作簿', (e as Error).message);
    }
    if (!found) {
      const names = sheetsOf(reader).map((s) => s.name);
      if (opts.sheet !== undefined) throw new WorkbookError('R_SHEET_NOT_FOUND', `「${opts.sheet}」；工作簿中有：${names.join('、') || '（无）'}`, `"${opts.sheet}"; the workbook has: ${names.join(', ') || '(none)'}`);
      throw new WorkbookError('R_WORKBOOK_UNREADABLE', '工作簿中没有工作表', 'the workbook has no worksheet');
    }
  }
  return {
    records: records(),
    describe: () => described,
    progress: () => described,
    drain: async () => undefined,
  };
}
