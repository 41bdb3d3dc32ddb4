// Fields the annex does not ask for, filled from the ones it does when that is safe (data contract:
// "Derived fields"): 处罚类别 from 行政处罚内容 and 罚款金额, 科研支持类别 from 获得科研支持信息, and a
// 新型农业经营主体's 行政区划代码 from its 所在地 and 权利类型 from a 权证编号 that names it. The two read
// from free text are warnings (W_DERIVED), so the clerk sees them; the two look-ups are not. Pure.
import { divisionOf, foldLabel, type CategorySpec, type CodeList } from '../../schemas/registry.ts';
import type { IssueCode } from '../issues.ts';
import type { Fields } from '../types.ts';

interface Note { code: IssueCode; field: string; value: string; detail?: string; detailEn?: string }

/** The codes whose value, alias or legacy label the text names, in code-list order. */
function codesNamed(list: CodeList, text: string): string[] {
  const t = foldLabel(text);
  const named = new Set<string>();
  for (const [label, codes] of list.lookup) if (label.length > 1 && t.includes(label)) for (const c of codes) named.add(c);
  return list.values.map((v) => v.code).filter((c) => named.has(c));
}

// 不予处罚, 免予处罚, 免除罚款 …: the kinds such a text names were not imposed.
const NEGATED = /不予|免予|免于|免除|撤销/;
const positive = (amount: unknown) => typeof amount === 'string' && /[1-9]/.test(amount);

function penaltyKinds(spec: CategorySpec, fields: Fields, notes: Note[]): void {
  const content = typeof fields.content === 'string' ? fields.content : '';
  if (fields.penalty_kinds !== undefined || NEGATED.test(content)) return;
  const list = spec.field.get('penalty_kinds')!.codelist!;
  const kinds = new Set(codesNamed(list, content).filter((c) => c !== '其他'));
  const from: string[] = kinds.size ? ['行政处罚内容'] : [];
  if (positive(fields.fine_amount) && !kinds.has('罚款')) {
    kinds.add('罚款');
    from.push('罚款金额');
  }
  if (kinds.size === 0) return;
  const ordered = list.values.map((v) => v.code).filter((c) => kinds.has(c));
  fields.penalty_kinds = ordered;
  notes.push({ code: 'W_DERIVED', field: 'penalty_kinds', value: ordered.join('、'), detail: from.join('、'), detailEn: from.join(', ') });
}

function supportType(spec: CategorySpec, fields: Fields, notes: Note[]): void {
  if (fields.support_type !== undefined || typeof fields.support_info !== 'string') return;
  const named = codesNamed(spec.field.get('support_type')!.codelist!, fields.support_info).filter((c) => c !== '其他');
  // several kinds in one text (实验室建设、政府资金支持) stay unclassified: the text itself is kept
  if (named.length !== 1) return;
  fields.support_type = named[0];
  notes.push({ code: 'W_DERIVED', field: 'support_type', value: named[0], detail: '获得科研支持信息', detailEn: '获得科研支持信息' });
}

function rightType(spec: CategorySpec, fields: Fields): void {
  if (fields.right_type !== undefined || typeof fields.right_cert_no !== 'string') return;
  const named = codesNamed(spec.field.get('right_type')!.codelist!, fields.right_cert_no);
  if (named.length === 1) fields.right_type = named[0];
}

function divisionCode(fields: Fields): void {
  if (fields.division_code !== undefined || typeof fields.location !== 'string') return;
  const code = divisionOf(fields.location);
  if (code) fields.division_code = code;
}

export function deriveMissing(spec: CategorySpec, fields: Fields, notes: Note[]): void {
  switch (spec.id) {
    case 'penalty': return penaltyKinds(spec, fields, notes);
    case 'rnd': return supportType(spec, fields, notes);
    case 'agri':
      rightType(spec, fields);
      return divisionCode(fields);
  }
}
