// The data contract for provider units, generated from the schemas (docs/data-contract.md; a test
// fails when the committed document drifts from the schemas).
import { categories, codeLists, commonSchema, keyPartFields, type FieldSpec } from './registry.ts';

const cell = (s: string | undefined) => (s ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ');
const KINDS = (commonSchema as any).$defs as Record<string, { 'x-kind-zh': string; description: string }>;

function typeOf(f: FieldSpec): string {
  const base = KINDS[f.kind]['x-kind-zh'];
  return `${base}${f.unit && !base.includes(f.unit) ? `（${f.unit}）` : ''}${f.maxLength ? ` ≤${f.maxLength}` : ''}`;
}

export function dataContractMarkdown(): string {
  const out: string[] = [
    '# 数据接口规范 Data contract',
    '',
    '<!-- Generated from schemas/ by `npm run contract`. Do not edit by hand: a test compares this file with the schemas. -->',
    '',
    'One section per category. A provider\'s CSV carries a header row; each column may be named by its Chinese header, any listed alias, or the English key, in any order. Columns not listed are reported as warnings and not loaded. 必填 (required) columns must be present and filled.',
    '',
    '敏感性 sensitivity: **public** fields are shared with every lending institution; **authorised** fields only under the enterprise\'s authorisation (经企业授权).',
    '',
    '## 字段类型 Field kinds',
    '',
    '| kind | 中文 | rule |',
    '|---|---|---|',
    ...Object.entries(KINDS).map(([k, d]) => `| ${k} | ${d['x-kind-zh']} | ${cell(d.description)} |`),
  ];
  for (const c of categories()) {
    out.push('', `## ${c.labelZh} \`${c.id}\``, '',
      `- 名称 names accepted: ${c.names.join('、')}`,
      `- 共享方式 sharing: ${c.sharing}`,
      `- 粒度 grain: ${c.grain}`,
      `- 自然键 natural key: ${c.naturalKey.map((p) => keyPartFields(p).map((k) => `${c.field.get(k)!.labelZh} (\`${k}\`)`).join(' 或 or ')).join(' + ')}`,
      `- 数据提供单位 source unit: ${c.sourceUnitField ? 'from the row\'s 数据提供单位 column; empty means the delivering unit' : 'the delivering unit'}`,
      `- schema version: ${c.version}`,
      '',
      '| 表头 header | key | 类型 type | 必填 required | 代码表 code list | 敏感性 sensitivity | 附件字段 annex | 别名 aliases | 示例 example |',
      '|---|---|---|---|---|---|---|---|---|');
    for (const f of c.fields) {
      const list = f.codelist ? `${f.codelist.values.map((v) => v.code).join('、')}${f.codelist.openPrefix ? `、${f.codelist.openPrefix}…` : ''}` : '';
      out.push(`| ${cell(f.labelZh)} | \`${f.key}\` | ${cell(typeOf(f))} | ${f.required ? '是' : ''} | ${cell(list)} | ${f.sensitivity} | ${cell(f.annex.join('、'))} | ${cell(f.aliases.join('、'))} | ${cell(f.example)} |`);
    }
  }
  out.push('', '## 代码表 Code lists', '');
  for (const l of codeLists.values()) {
    out.push(`### ${l.labelZh} \`${l.id}\``, '', ...(l.description ? [l.description, ''] : []), '| value | also accepted |', '|---|---|');
    for (const v of l.values) out.push(`| ${v.code} | ${cell(v.aliases.join('、'))} |`);
    for (const g of l.legacy ?? []) out.push(`| ${g.mapsTo.join(' + ')} | ${cell(g.label)} (pre-2021 label) |`);
    out.push('');
  }
  return out.join('\n');
}
