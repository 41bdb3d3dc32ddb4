// The data contract for provider units, generated from the schemas (docs/data-contract.md; a test
// fails when the committed document drifts from the schemas).
import { categories, codeLists, commonSchema, keyPartFields, resolveComposite, resolveHeader, type CategorySpec, type FieldSpec } from './registry.ts';

const cell = (s: string | undefined) => (s ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ');
export const KINDS = (commonSchema as any).$defs as Record<string, { 'x-kind-zh': string; description: string }>;

/** A field's type in Chinese, with its unit and length limit (the template's field sheet shows the same). */
export function typeOf(f: FieldSpec): string {
  const base = KINDS[f.kind]['x-kind-zh'];
  return `${base}${f.unit && !base.includes(f.unit) ? `（${f.unit}）` : ''}${f.maxLength ? ` ≤${f.maxLength}` : ''}`;
}

const fieldRef = (c: CategorySpec, key: string) => `${c.field.get(key)!.labelZh} (\`${key}\`)`;

/** Per annex field: the forms a file may use for it and the fields they are stored in. */
function annexTable(c: CategorySpec): string[] {
  const rows = c.annexFields.map((name) => {
    const f = resolveHeader(c, name);
    if (f) {
      const names = [f.labelZh, ...f.aliases.filter((a) => a === name)].filter((n, i, all) => all.indexOf(n) === i);
      return `| ${cell(name)} | column ${names.map((n) => `「${cell(n)}」`).join(' or ')} (or an alias below) | ${fieldRef(c, f.key)} |`;
    }
    const k = resolveComposite(c, name)!;
    return `| ${cell(name)} | one column 「${cell(k.labelZh)}」: ${cell(k.description)} e.g. ${k.examples.map((e) => `\`${cell(e)}\``).join(', ')}. Or the split columns ${k.into.map((key) => `「${c.field.get(key)!.labelZh}」`).join('、')} | ${k.into.map((key) => fieldRef(c, key)).join(', ')} |`;
  });
  const national = c.fields.filter((f) => !c.annexFields.some((n) => resolveHeader(c, n) === f || resolveComposite(c, n)?.into.includes(f.key)));
  return [
    '', '附件字段 annex fields (临政办发〔2023〕9号): a file whose header is exactly this list, in any order, loads.', '',
    '| 附件字段 annex field | accepted forms | stored as |', '|---|---|---|', ...rows,
    ...(national.length ? ['', `Not in the annex (national 双公示 practice or detail), optional unless marked 必填: ${national.map((f) => f.labelZh).join('、')}.`] : []),
    '', ...c.fields.filter((f) => f.description).map((f) => `- ${fieldRef(c, f.key)}: ${f.description}`),
  ];
}

const INDICATOR_RULE = [
  '## 水费、燃气费指标 Indicators',
  '',
  'The lender reads 近3个月/近6个月月均用量 and 当前是否欠费 per account and per enterprise. The store computes them from the monthly bills (lib/utility-indicators.ts for the profile; views `v_water_indicators` / `v_gas_indicators` in SQL, as of today):',
  '',
  '- **As-of date**: the day asked for (profile `?asOf=YYYY-MM-DD`), by default today in Asia/Shanghai. Everything counts bills of the months **before** the as-of month; a bill of the as-of month or later is not counted yet.',
  '- **Windows**: 近3个月 = the 3 full calendar months before the as-of month (as of 2024-07-15: 2024-04, 2024-05, 2024-06); 近6个月 likewise 6 months.',
  '- **Average**: the sum of the usage of the billed months of the window divided by the number of billed months, 3 decimals. A month of the window without a bill is listed as missing (`missingMonths`, status 部分月份缺失 `partial`), never counted as zero and never hidden: `billedMonths` says over how many months the average is.',
  '- **No recent data**: an account with no bill in the window has no average (status 无近期数据 `no_recent_data`); an account with no bill in the 6-month window is a stale account.',
  '- **当前是否欠费**: the running balance, the sum of 应缴金额 minus 实缴金额 over all the account\'s bills before the as-of month, computed in fen; in arrears when it is above zero. A catch-up payment in a later month clears earlier debt; an overpayment is a credit for later bills. A stale account that still owes is in arrears.',
  '- **Per enterprise**: the averages are the sum of the account averages over the accounts with a bill in the window (status `partial` when any of them misses months; stale accounts listed apart); in arrears when any account is; the amount owed is the sum over the accounts that owe (one account\'s credit does not pay another\'s bill).',
  '- **Provider-stated figures**: rows carrying 近3/6个月月均用量 or 当前是否欠费 are stored with their provenance as the provider\'s statement. The profile shows the latest statement per account beside the computed figures, computed again as of the day the provider stated them (its receipt day in Asia/Shanghai): an average agrees within 0.5 or 1 %, whichever is larger (rounding); otherwise, or when the arrears flag differs, the account is flagged `disagreement`. Without bills in the window the statement is `unverifiable`.',
  '',
  '## 派生与换算 Derived and converted values',
  '',
  '- A field the annex does not list may be derived from the ones it does when that is safe; the row then carries a warning W_DERIVED. 处罚类别 from 行政处罚内容 (the kinds of the code list it names, unless it says 不予/免予/免于/免除/撤销) and 罚款金额 above zero (罚款); 科研支持类别 from 获得科研支持信息 when it names exactly one type; 所在地行政区划代码 from 所在地 (临沂 counties, districts and zones); 权利类型 from a 权证编号 that names the right.',
  '- Amounts: a 万元 field accepts `2`, `2万元`, `2万` and `20000元`; a 元 field accepts `1500`, `1500元`, `0.15万元` and `0.15万`. A value written in the other unit is converted exactly (no rounding) to the field\'s unit, with warning W_UNIT_CONVERTED, and the cell as delivered is kept with the record (`_original` in the stored fields, column `original_values` in the views).',
  '- Dates in order: 有效期至 not before 有效期自 nor 行政许可决定日期; 行政处罚有效期 and 公示截止期 not before 行政处罚决定日期; 权利期限至 not before 权利期限自.',
];

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
      ...annexTable(c),
      '',
      '| 表头 header | key | 类型 type | 必填 required | 代码表 code list | 敏感性 sensitivity | 附件字段 annex | 别名 aliases | 示例 example |',
      '|---|---|---|---|---|---|---|---|---|');
    for (const f of c.fields) {
      const list = f.codelist ? `${f.codelist.values.map((v) => v.code).join('、')}${f.codelist.openPrefix ? `、${f.codelist.openPrefix}…` : ''}` : '';
      out.push(`| ${cell(f.labelZh)} | \`${f.key}\` | ${cell(typeOf(f))} | ${f.required ? '是' : ''} | ${cell(list)} | ${f.sensitivity} | ${cell(f.annex.join('、'))} | ${cell(f.aliases.join('、'))} | ${cell(f.example)} |`);
    }
  }
  out.push('', ...INDICATOR_RULE);
  out.push('', '## 代码表 Code lists', '');
  for (const l of codeLists.values()) {
    out.push(`### ${l.labelZh} \`${l.id}\``, '', ...(l.description ? [l.description, ''] : []), '| value | also accepted |', '|---|---|');
    for (const v of l.values) out.push(`| ${v.code} | ${cell(v.aliases.join('、'))} |`);
    for (const g of l.legacy ?? []) out.push(`| ${g.mapsTo.join(' + ')} | ${cell(g.label)} (pre-2021 label) |`);
    out.push('');
  }
  return out.join('\n');
}
