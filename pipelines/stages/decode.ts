// Stage 1: bytes -> text. Detects the encoding of a CSV file (UTF-8 with or without BOM, else
// GB18030, the superset of GBK/GB2312 that Excel uses for Chinese CSV exports) and decodes it as a
// stream. Invalid bytes become U+FFFD; the CSV stage rejects the rows that contain it.
import iconv from 'iconv-lite';

export type Encoding = 'utf-8' | 'gb18030';

/** The file is in an encoding we do not read (UTF-16/UTF-32); the caller refuses the file. */
export class UnsupportedEncodingError extends Error {
  readonly code = 'E_ENCODING_UNSUPPORTED';
  constructor(readonly zh: string, readonly en: string) {
    super(`${zh} / ${en}`);
    this.name = 'UnsupportedEncodingError';
  }
}

export interface DetectedEncoding {
  encoding: Encoding;
  /** The sample starts with a UTF-8 byte order mark (the decoder strips it). */
  bom: boolean;
  reason: string;
}

/**
 * Guess the encoding from the first bytes of a file.
 * @param sample the first bytes of the file (1 MB is plenty), or the whole file.
 * @param isWholeFile false when the sample may end in the middle of a character.
 * @throws UnsupportedEncodingError for a UTF-16 (or UTF-32 LE) byte order mark, UTF-16 text without one, or a binary format.
 */
export function detectEncoding(sample: Uint8Array, isWholeFile: boolean): DetectedEncoding {
  const b0 = sample[0];
  const b1 = sample[1];
  const bomless = b0 === 0xff || b0 === 0xfe ? null : utf16WithoutBom(sample);
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff) || bomless) {
    const which = bomless ?? (b0 === 0xff ? 'UTF-16 LE' : 'UTF-16 BE');
    throw new UnsupportedEncodingError(
      `文件为 ${which} 编码（Unicode 文本），不支持；请另存为“CSV UTF-8（逗号分隔）”或 GBK 编码的 CSV 文件。`,
      `The file is ${which} encoded, which is not supported; save it as "CSV UTF-8 (comma delimited)" or as a GBK CSV file.`,
    );
  }
  const binary = binaryFormat(sample);
  if (binary) {
    throw new UnsupportedEncodingError(
      `文件是${binary.zh}，不是 CSV 文本；请在 Excel 中“另存为”CSV（逗号分隔）后再上传。`,
      `The file is ${binary.en}, not CSV text; save it from Excel as CSV (comma delimited) and upload that.`,
    );
  }
  if (b0 === 0xef && b1 === 0xbb && sample[2] === 0xbf) {
    return { encoding: 'utf-8', bom: true, reason: 'UTF-8 byte order mark' };
  }
  const { valid, invalid } = countUtf8(sample, isWholeFile);
  if (invalid === 0) return { encoding: 'utf-8', bom: false, reason: valid === 0 ? 'ASCII only: read as UTF-8' : 'valid UTF-8' };
  // A UTF-8 export with a few stray bytes (one pasted cell) stays UTF-8, so only the rows holding
  // them are rejected; GBK text read as UTF-8 fails on most of its characters.
  if (valid >= 20 * invalid) {
    return { encoding: 'utf-8', bom: false, reason: `UTF-8 with ${invalid} invalid byte sequence(s): their rows will be rejected` };
  }
  return { encoding: 'gb18030', bom: false, reason: 'not valid UTF-8: read as GB18030 (GBK)' };
}

/**
 * UTF-16 without a byte order mark: ASCII characters (commas, digits, line breaks) leave a zero byte
 * in every other position, high bytes in LE and low bytes in BE. CSV text in UTF-8 or GBK has no
 * zero bytes but for damage (a NUL in a cell, a zero-filled block), which does not keep to one side.
 */
function utf16WithoutBom(sample: Uint8Array): 'UTF-16 LE' | 'UTF-16 BE' | null {
  const n = Math.min(sample.length, 4096) & ~1;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (sample[i] === 0) even++;
    if (sample[i + 1] === 0) odd++;
  }
  const units = n / 2;
  if (Math.max(even, odd) < Math.max(4, units / 16)) return null;
  if (odd >= 8 * even) return 'UTF-16 LE';
  if (even >= 8 * odd) return 'UTF-16 BE';
  return null;
}

// Clerks rename workbooks and archives to .csv; their signatures say so before any decoding.
const SIGNATURES: readonly { bytes: readonly number[]; zh: string; en: string }[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], zh: 'Excel 工作簿（.xlsx）或 ZIP 压缩包', en: 'an Excel workbook (.xlsx) or a ZIP archive' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], zh: '旧版 Excel 工作簿（.xls）', en: 'an old Excel workbook (.xls)' },
  { bytes: [0x1f, 0x8b], zh: 'gzip 压缩文件', en: 'a gzip-compressed file' },
  { bytes: [0x52, 0x61, 0x72, 0x21], zh: 'RAR 压缩包', en: 'a RAR archive' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf], zh: '7z 压缩包', en: 'a 7z archive' },
  { bytes: [0x25, 0x50, 0x44, 0x46], zh: 'PDF 文档', en: 'a PDF document' },
];

function binaryFormat(sample: Uint8Array): { zh: string; en: string } | undefined {
  return SIGNATURES.find((s) => s.bytes.every((b, i) => sample[i] === b));
}

/** Valid multi-byte UTF-8 sequences and invalid bytes in a sample (a sequence cut at its end is neither). */
function countUtf8(b: Uint8Array, isWholeFile: boolean): { valid: number; invalid: number } {
  let valid = 0;
  let invalid = 0;
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len === 0) {
      invalid++;
      i++;
      continue;
    }
    if (i + len > b.length && !isWholeFile) break;
    let ok = i + len <= b.length;
    for (let k = 1; ok && k < len; k++) ok = (b[i + k] & 0xc0) === 0x80;
    // overlong 3-byte forms and UTF-16 surrogates are not UTF-8
    if (ok && len === 3) ok = !(c === 0xe0 && b[i + 1] < 0xa0) && !(c === 0xed && b[i + 1] >= 0xa0);
    if (ok && len === 4) ok = !(c === 0xf0 && b[i + 1] < 0x90) && !(c === 0xf4 && b[i + 1] >= 0x90);
    if (ok) {
      valid++;
      i += len;
    } else {
      invalid++;
      i++;
    }
  }
  return { valid, invalid };
}

/**
 * A streaming decoder: call it with each chunk of the file in order, then once with null to flush.
 * Characters split across chunks decode correctly; invalid bytes become U+FFFD; a leading byte
 * order mark is dropped.
 */
export function createDecoder(encoding: Encoding): (chunk: Uint8Array | null) => string {
  let decode: (chunk: Uint8Array | null) => string;
  if (encoding === 'utf-8') {
    // ignoreBOM false (the default): TextDecoder drops a leading BOM itself, even when it is split.
    const td = new TextDecoder('utf-8', { fatal: false });
    decode = (chunk) => (chunk === null ? td.decode() : td.decode(chunk, { stream: true }));
  } else if (encoding === 'gb18030') {
    // iconv-lite 0.7.3's streaming DBCS decoder (getDecoder) loses characters when an invalid
    // sequence straddles two chunks: it re-reads the carried bytes into an output buffer sized for
    // the new chunk only, and what does not fit is dropped (bytes 81 30 81 | 41 42 43 decode to
    // "�0丄" instead of "�0丄BC"; the lost character can be a quote or a line break). So chunks are
    // cut here at sequence boundaries, the incomplete tail carried over, and each piece decoded whole.
    // The codec is not BOM aware: a GB18030 BOM (84 31 95 33) decodes to U+FEFF, stripped below.
    let carry: Buffer | null = null;
    decode = (chunk) => {
      if (chunk === null) {
        const rest = carry;
        carry = null;
        return rest === null ? '' : iconv.decode(rest, 'gb18030');
      }
      let buf = toBuffer(chunk);
      if (carry !== null) {
        buf = Buffer.concat([carry, buf]);
        carry = null;
      }
      const k = gb18030CompleteLength(buf);
      if (k < buf.length) carry = Buffer.from(buf.subarray(k));
      return k === 0 ? '' : iconv.decode(buf.subarray(0, k), 'gb18030');
    };
  } else {
    throw new Error(`Unknown encoding ${String(encoding)}`);
  }
  let started = false;
  return (chunk) => {
    const s = decode(chunk);
    if (started || s.length === 0) return s;
    started = true;
    return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  };
}

/**
 * Length of the prefix of `b` that ends on a GB18030 sequence boundary, following iconv-lite's
 * reading: a lead byte 81–FE takes a trail byte 40–7E/80–FE (two bytes) or 30–39, 81–FE, 30–39
 * (four bytes); on an invalid sequence it emits U+FFFD and reads on from the byte after the lead.
 * `b` must start on a boundary.
 */
function gb18030CompleteLength(b: Uint8Array): number {
  const n = b.length;
  // A byte below 30 (controls, space, quote, comma …) is never part of a sequence: start after the last one.
  let i = n;
  while (i > 0 && b[i - 1] >= 0x30) i--;
  while (i < n) {
    const c = b[i];
    if (c < 0x81 || c === 0xff) {
      i++;
      continue;
    }
    if (i + 1 >= n) return i;
    const c2 = b[i + 1];
    if (c2 >= 0x30 && c2 <= 0x39) {
      if (i + 2 >= n) return i;
      const c3 = b[i + 2];
      if (c3 < 0x81 || c3 === 0xff) {
        i++;
        continue;
      }
      if (i + 3 >= n) return i;
      const c4 = b[i + 3];
      i += c4 >= 0x30 && c4 <= 0x39 ? 4 : 1;
      continue;
    }
    i += (c2 >= 0x40 && c2 <= 0x7e) || (c2 >= 0x80 && c2 <= 0xfe) ? 2 : 1;
  }
  return n;
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

const ENCODING_OPTIONS: Record<string, Encoding | 'auto'> = {
  auto: 'auto',
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  gbk: 'gb18030',
  gb2312: 'gb18030',
  gb18030: 'gb18030',
};

/** The names an encoding option accepts (CLI --encoding, the upload form's encoding field). */
export const ENCODING_NAMES = Object.keys(ENCODING_OPTIONS);

/** Read an --encoding option: auto (also when absent), utf-8/utf8, gbk/gb2312/gb18030 (all read as GB18030). */
export function parseEncodingOption(s: string | undefined): Encoding | 'auto' {
  if (s === undefined) return 'auto';
  const key = s.trim().toLowerCase();
  if (!Object.hasOwn(ENCODING_OPTIONS, key)) {
    throw new Error(
      `不支持的编码「${s}」，可用：${Object.keys(ENCODING_OPTIONS).join('、')} / ` +
        `Unknown encoding "${s}"; accepted: ${Object.keys(ENCODING_OPTIONS).join(', ')}`,
    );
  }
  return ENCODING_OPTIONS[key];
}
