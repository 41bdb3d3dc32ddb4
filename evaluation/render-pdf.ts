// The credit report as a PDF a bank officer prints: A4, Noto Serif CJK for text and Noto Sans CJK
// bold for headings (fonts-noto-cjk, embedded as subsets by pdfkit), tables with ruled cells that
// break across pages with their header repeated, the report number, page numbers and the content
// hash on every page.
import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import { beijingTime, type ReportContent, type Section, type Table } from './report.ts';

const FONT_DIRS = ['/usr/share/fonts/opentype/noto', '/usr/share/fonts/noto-cjk', '/usr/share/fonts/google-noto-cjk'];
const FONTS = {
  body: { file: 'NotoSerifCJK-Regular.ttc', name: 'NotoSerifCJKsc-Regular' },
  bold: { file: 'NotoSansCJK-Bold.ttc', name: 'NotoSansCJKsc-Bold' },
} as const;

export class FontMissingError extends Error {
  readonly code = 'E_CJK_FONT_MISSING';
}

function fontPath(file: string): string {
  for (const d of FONT_DIRS) if (existsSync(`${d}/${file}`)) return `${d}/${file}`;
  throw new FontMissingError(`未找到中文字体 ${file}（请安装 fonts-noto-cjk）/ CJK font ${file} not found in ${FONT_DIRS.join(', ')}; install fonts-noto-cjk`);
}

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = { top: 64, bottom: 64, left: 56, right: 56 };
const WIDTH = A4.width - MARGIN.left - MARGIN.right;
const BOTTOM = A4.height - MARGIN.bottom;

type Doc = PDFKit.PDFDocument;

function ensureSpace(doc: Doc, h: number): void {
  if (doc.y + h > BOTTOM) doc.addPage();
}

/** A heading keeps room for a few lines under it, so it never ends a page alone. */
function heading(doc: Doc, text: string, size: number): void {
  ensureSpace(doc, size * 3 + 60);
  doc.moveDown(0.6).font('bold').fontSize(size).fillColor('#000').text(text, MARGIN.left, doc.y, { width: WIDTH });
  doc.moveDown(0.3);
}

function paragraph(doc: Doc, text: string, size = 10): void {
  ensureSpace(doc, size * 2);
  doc.font('body').fontSize(size).fillColor('#000').text(text, MARGIN.left, doc.y, { width: WIDTH, lineGap: 3, indent: size * 2, align: 'justify' });
  doc.moveDown(0.3);
}

/**
 * Column widths: every column first gets room for its short cells unbroken (dates, amounts, codes,
 * the header's longest word), then the rest of the width goes in proportion to what each column
 * would need to hold its longest text on one line.
 */
function columnWidths(doc: Doc, cols: readonly string[], rows: readonly (readonly string[])[], width: number, pad: number): number[] {
  const w = (s: string) => doc.widthOfString(s) + 2 * pad + 1;
  const short = (s: string) => [...s].length <= 12;
  const min = cols.map((c, i) => Math.min(width / cols.length * 1.6, Math.max(w([...c].slice(0, 4).join('')), ...rows.map((r) => (short(r[i] ?? '') ? w(r[i]) : 0)))));
  const natural = cols.map((c, i) => Math.max(min[i], Math.min(220, Math.max(w(c), ...rows.map((r) => w(r[i] ?? ''))))));
  const spare = width - min.reduce((a, b) => a + b, 0);
  const extra = natural.map((n, i) => n - min[i]);
  const extraSum = extra.reduce((a, b) => a + b, 0);
  if (spare <= 0 || extraSum === 0) {
    const sum = natural.reduce((a, b) => a + b, 0);
    return natural.map((n) => (n / sum) * width);
  }
  return min.map((m, i) => m + (extra[i] / extraSum) * spare);
}

function table(doc: Doc, t: Table, size = 8): void {
  const withSource = t.rows.some((r) => r.source);
  const cols = withSource ? [...t.columns, '来源'] : [...t.columns];
  const rows = t.rows.map((r) => (withSource ? [...r.cells, r.source ?? ''] : [...r.cells]));
  const pad = 3;
  doc.font('body').fontSize(size);
  const widths = columnWidths(doc, cols, rows, WIDTH, pad);
  const rowHeight = (cells: readonly string[], font: 'body' | 'bold') => {
    doc.font(font).fontSize(size);
    return Math.max(...cells.map((c, i) => doc.heightOfString(c || ' ', { width: widths[i] - 2 * pad }))) + 2 * pad;
  };
  const drawRow = (cells: readonly string[], font: 'body' | 'bold', shade: boolean) => {
    const h = rowHeight(cells, font);
    const y = doc.y;
    let x = MARGIN.left;
    if (shade) doc.rect(MARGIN.left, y, WIDTH, h).fill('#eeeeee');
    doc.fillColor('#000').lineWidth(0.5).strokeColor('#555');
    cells.forEach((c, i) => {
      doc.rect(x, y, widths[i], h).stroke();
      doc.font(font).fontSize(size).fillColor('#000').text(c || ' ', x + pad, y + pad, { width: widths[i] - 2 * pad });
      x += widths[i];
    });
    doc.x = MARGIN.left;
    doc.y = y + h;
  };
  const header = () => drawRow(cols, 'bold', true);
  ensureSpace(doc, rowHeight(cols, 'bold') + (rows[0] ? rowHeight(rows[0], 'body') : 0));
  header();
  for (const r of rows) {
    const h = rowHeight(r, 'body');
    if (doc.y + h > BOTTOM) {
      doc.addPage();
      header();
    }
    drawRow(r, 'body', false);
  }
  doc.moveDown(0.5);
}

function pairs(doc: Doc, ps: readonly (readonly [string, string])[]): void {
  table(doc, { columns: ['项目', '内容'], rows: ps.map(([k, v]) => ({ cells: [k, v], source: null })) }, 9);
}

function section(doc: Doc, s: Section): void {
  heading(doc, s.titleZh, 13);
  if (s.pairs) pairs(doc, s.pairs);
  if (s.table && s.table.rows.length) table(doc, s.table);
  for (const p of s.paragraphs ?? []) paragraph(doc, p, 9.5);
  for (const sub of s.subsections ?? []) {
    heading(doc, `${sub.titleZh}${sub.cutoff ? `　（信息截止 ${sub.cutoff}）` : ''}`, 11);
    if (sub.table) table(doc, sub.table);
    if (sub.noteZh) paragraph(doc, sub.noteZh, 9);
  }
}

/** The PDF bytes of a report; `sha256` is the content hash printed for verification. */
export async function renderReportPdf(c: ReportContent, sha256: string, verifyUrl: string): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4', margins: MARGIN, bufferPages: true,
    info: { Title: `${c.titleZh} ${c.reportNo}`, Author: '临沂市中小微企业融资信用服务平台', Subject: c.subject.uscc, CreationDate: new Date(c.generatedAt) },
  });
  doc.registerFont('body', fontPath(FONTS.body.file), FONTS.body.name);
  doc.registerFont('bold', fontPath(FONTS.bold.file), FONTS.bold.name);
  const chunks: Buffer[] = [];
  doc.on('data', (b: Buffer) => chunks.push(b));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });

  doc.font('bold').fontSize(20).text(c.titleZh, MARGIN.left, MARGIN.top + 10, { width: WIDTH, align: 'center' });
  doc.moveDown(0.4).font('body').fontSize(10).fillColor('#333')
    .text(`报告编号：${c.reportNo}　　生成时间：${beijingTime(c.generatedAt)}`, { width: WIDTH, align: 'center' });
  doc.moveDown(0.2).text(`被查询企业：${c.subject.name ?? '—'}（${c.subject.uscc}）`, { width: WIDTH, align: 'center' });
  doc.moveDown(0.5).lineWidth(1).strokeColor('#000').moveTo(MARGIN.left, doc.y).lineTo(MARGIN.left + WIDTH, doc.y).stroke();
  for (const s of c.sections) section(doc, s);

  heading(doc, '来源说明', 11);
  for (const f of c.footnotes) paragraph(doc, `${f.mark} ${f.textZh}`, 8.5);
  heading(doc, '报告核验', 11);
  paragraph(doc, `本报告内容摘要（SHA-256）：${sha256}。核验地址：${verifyUrl}。核验时请提供报告编号与上述摘要；报告内容如被改动，摘要将无法核验通过。`, 9);

  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    doc.font('body').fontSize(7.5).fillColor('#555');
    // Writing inside the bottom margin must not start a new page.
    const y = A4.height - MARGIN.bottom + 18;
    doc.text(`报告编号 ${c.reportNo}　第 ${i + 1} 页 / 共 ${range.count} 页　摘要 ${sha256.slice(0, 16)}…　仅供金融机构参考`, MARGIN.left, y, { width: WIDTH, align: 'center', lineBreak: false });
  }
  doc.end();
  await done;
  return Buffer.concat(chunks);
}
