// Builders for the hostile-file corpus (test/integration/hostile-files.int.test.ts). Every file is
// generated into a temporary folder at test time, never committed; the big ones (a 50 MB field) are
// written in pieces, so the test process never holds them whole.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import iconv from 'iconv-lite';
import { fixture } from './ingest.ts';

// The penalty fixture has no quoted cells and an empty 备注 (remarks, the last column) on every row.
const PENALTY = readFileSync(fixture('penalty.csv'), 'utf8').replace(/^\ufeff/, '').split('\r\n').filter((l) => l !== '');
export const HEADER = PENALTY[0];
export const COLUMNS = HEADER.split(',');
const DECISION_NO = COLUMNS.indexOf('行政处罚决定文书号');
const FACTS = COLUMNS.indexOf('违法事实');
const CONTENT = COLUMNS.indexOf('行政处罚内容');
const USCC = COLUMNS.indexOf('统一社会信用代码');
const NAME = COLUMNS.indexOf('企业名称');

/**
 * The i-th valid data row of the fixture (i from 0), as CSV text without its line break. Its
 * 行政处罚决定文书号 (part of the natural key) gets `tag`, so each case's rows are new records.
 */
export function row(i: number, tag: string, edit: (cells: string[]) => void = () => {}): string {
  const cells = PENALTY[1 + i].split(',');
  cells[DECISION_NO] = `${cells[DECISION_NO]}-${tag}`;
  edit(cells);
  return cells.join(',');
}
export const withFacts = (extra: string) => (cells: string[]) => void (cells[FACTS] += extra);
export const withContent = (extra: string) => (cells: string[]) => void (cells[CONTENT] += extra);
export const withUscc = (v: string) => (cells: string[]) => void (cells[USCC] = v);
export const withName = (v: string) => (cells: string[]) => void (cells[NAME] = v);
/** Rows 0..n-1, tagged. */
export const rows = (n: number, tag: string, from = 0) => Array.from({ length: n }, (_, i) => row(from + i, tag));

export const utf8 = (s: string) => Buffer.from(s, 'utf8');
export const gbk = (s: string) => iconv.encode(s, 'gbk');
export const gb18030 = (s: string) => iconv.encode(s, 'gb18030');
/** Lines joined with `eol`, ending with one. */
export const lines = (ls: readonly string[], eol = '\r\n') => ls.join(eol) + eol;

/** UTF-16 text, little or big endian, with or without its byte order mark. */
export function utf16(s: string, endian: 'le' | 'be', bom: boolean): Buffer {
  const le = Buffer.from((bom ? '\ufeff' : '') + s, 'utf16le');
  return endian === 'le' ? le : Buffer.from(le).swap16();
}

/** A piece of a generated file: bytes, or the same bytes `times` times over. */
export type Piece = Buffer | { readonly repeat: Buffer; readonly times: number };

/** Writes the pieces to `file` one after another, a repeat in blocks of about 1 MB; returns the size in bytes. */
export function writePieces(file: string, pieces: readonly Piece[]): number {
  const fd = openSync(file, 'w');
  let size = 0;
  try {
    for (const p of pieces) {
      if (Buffer.isBuffer(p)) {
        writeSync(fd, p);
        size += p.length;
        continue;
      }
      const perBlock = Math.max(1, Math.floor((1 << 20) / Math.max(1, p.repeat.length)));
      const block = Buffer.concat(Array.from({ length: Math.min(perBlock, p.times) }, () => p.repeat));
      for (let left = p.times; left > 0; ) {
        const n = Math.min(left, perBlock);
        size += writeSync(fd, block, 0, n * p.repeat.length);
        left -= n;
      }
    }
  } finally {
    closeSync(fd);
  }
  return size;
}
