// The documentation of a card, generated from the card itself (docs/cards/<id>.md), so the text a
// bank reads and the points the engine applies cannot drift apart.
import { category } from '../schemas/registry.ts';
import type { Card, Condition, FilterEntry, Window } from './card.ts';

const label = (cat: Parameters<typeof category>[0], key: string) => `${category(cat).field.get(key)?.labelZh ?? key}（\`${key}\`）`;

function condition(cat: Parameters<typeof category>[0], c: Condition): string {
  const f = label(cat, c.field);
  const miss = c.ifMissing === 'pass' ? '，未填视为满足' : '';
  const neg = c.not ? '并非' : '';
  switch (c.op) {
    case 'eq': return `${neg}${f} = ${JSON.stringify(c.value)}${miss}`;
    case 'in': return `${neg}${f} 为 ${c.values!.join('、')} 之一${miss}`;
    case 'anyOf': return `${neg}${f} 含 ${c.values!.join('、')} 之一${miss}`;
    case 'gt': return `${neg}${f} > ${String(c.value)}${miss}`;
    case 'gtField': return `${neg}${f} > ${label(cat, c.otherField!)}${miss}`;
    case 'onOrAfterAsOf': return `${neg}${f} 不早于评价日${miss}`;
    case 'onOrBeforeAsOf': return `${neg}${f} 不晚于评价日${miss}`;
    case 'present': return `${f}${c.not ? '未填' : '已填'}`;
  }
}

const filterText = (cat: Parameters<typeof category>[0], f: readonly FilterEntry[] | undefined) =>
  (f ?? []).map((e) => ('any' in e ? `（${e.any.map((c) => condition(cat, c)).join(' 或 ')}）` : condition(cat, e))).join('；') || '—';
const windowText = (cat: Parameters<typeof category>[0], w: Window | undefined) => (!w ? '评价日在效的全部记录' : `${label(cat, w.dateField)}${w.months ? `在评价日前 ${w.months} 个月内` : '不晚于评价日'}`);
const cell = (s: string) => s.replaceAll('|', '\\|');

export function cardMarkdown(card: Card): string {
  const out = [
    `# 评分卡 ${card.id}（版本 ${card.version}）：${card.titleZh}`, '',
    `> 本文件由 \`schemas/evaluation/cards/${card.id}.json\` 生成（\`npm run card-doc\`），请勿手改。`, '',
    card.descriptionZh ?? '', '',
    `生效日期：${card.effectiveFrom}。依据：${(card.basis ?? []).join('；')}。`, '',
    '## 分值与等级', '',
    `基础分 ${card.scale.base}，总分限于 ${card.scale.min}–${card.scale.max}。得分 = 基础分 + 各维度得分（各维度先按上下限截断）。`, '',
    '| 等级 | 含义 | 最低分 | 说明 |', '|---|---|---:|---|',
    ...card.grades.map((g) => `| ${g.grade} | ${g.labelZh} | ${g.minScore} | ${g.meaningZh ?? ''} |`),
    `| ${card.insufficientData.grade} | — | — | ${card.insufficientData.textZh}（指标回看期内的记录少于 ${card.insufficientData.minRecords} 条，且未命中否决项）；不给分 |`, '',
    '## 层级', '',
    ...(['public', 'enriched'] as const).map((t) => `- **${card.tiers[t].labelZh}**（\`${t}\`）：${card.tiers[t].categories.map((c) => category(c).labelZh).join('、')}。`),
    '- 两个层级都只读公示截止期未届满的行政处罚；增强层仅在企业对查询机构（或平台）就全部非公开类别有在效授权时计算和展示。', '',
  ];
  for (const d of card.dimensions) {
    out.push(`## 维度：${d.labelZh}（\`${d.id}\`，得分限于 ${d.cap.min}–${d.cap.max}）`, '',
      '| 指标 | 类别 | 条件 | 回看 | 度量 | 分箱 → 分值 | 原因代码与文字 |', '|---|---|---|---|---|---|---|');
    for (const i of d.indicators) {
      const measure = i.measure.kind === 'count' ? '记录数' : i.measure.kind === 'sum' ? `${label(i.category, i.measure.field!)}之和` : `${label(i.category, i.measure.field!)}的不同取值数`;
      const bins = i.bins.map((b) => `[${b.min}, ${b.max ?? '∞'}) → ${b.points > 0 ? '+' : ''}${b.points}`).join('<br>');
      out.push(`| \`${i.id}\` ${cell(i.labelZh)} | ${category(i.category).labelZh} | ${cell(filterText(i.category, i.filter))} | ${cell(windowText(i.category, i.window))} | ${cell(measure)}${i.measure.unitZh ? `（${i.measure.unitZh}）` : ''} | ${bins} | \`${i.reason.code}\` ${cell(i.reason.textZh)} |`);
    }
    out.push('');
  }
  out.push('## 否决项（命中任一条，等级不高于所列等级）', '', '| 否决项 | 类别 | 条件 | 回看 | 等级上限 | 原因代码与文字 |', '|---|---|---|---|---|---|');
  for (const k of card.knockouts) {
    out.push(`| \`${k.id}\` ${cell(k.labelZh ?? '')} | ${category(k.category).labelZh} | ${cell(filterText(k.category, k.filter))} | ${cell(windowText(k.category, k.window))} | ${k.grade} | \`${k.reason.code}\` ${cell(k.reason.textZh)} |`);
  }
  out.push('');
  return out.join('\n');
}
