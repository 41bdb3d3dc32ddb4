// The drop-folder stand-in: the public credit platform leaves 双公示 penalty exports as CSV files
// with the Chinese column labels, some saved by Excel as GBK. Files appear atomically (written
// under a dot-name, then renamed), as an SFTP upload with a temporary name does.
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import iconv from 'iconv-lite';
import { csvLine, type SyntheticRecord } from '../synthetic.ts';
import { category } from '../../schemas/registry.ts';

function penaltyCsv(rows: readonly SyntheticRecord[]): string {
  const fields = category('penalty').fields;
  return [csvLine(fields.map((f) => f.labelZh)), ...rows.map((r) => csvLine(fields.map((f) => r[f.key] ?? '')))].join('\r\n') + '\r\n';
}

export async function dropCsv(dir: string, name: string, rows: readonly SyntheticRecord[], encoding: 'utf-8' | 'gb18030'): Promise<string> {
  const text = penaltyCsv(rows);
  const bytes = encoding === 'utf-8' ? Buffer.from(`\ufeff${text}`, 'utf8') : iconv.encode(text, 'gb18030');
  const target = path.join(dir, name);
  const temp = path.join(dir, `.${name}.part`);
  await writeFile(temp, bytes);
  await rename(temp, target);
  return target;
}
