// The credit report (信用报告, measure item 5) as content: built from the record versions in effect at
// its cut-off, the reader's authorisations and the card, with no clock and no store, so that the
// same inputs always give the same content and the same SHA-256. Sections follow the order of the
// 公共信用信息报告标准（2022年版）, limited to the platform's seven categories; the HTML and PDF
// renderers only lay this content out.
import { createHash } from 'node:crypto';
import { accountIndicators } from '../lib/utility-indicators.ts';
import { category, type CategoryId, type CategorySpec } from '../schemas/registry.ts';
import { canonicalJson } from '../store/access-log.ts';
import { collectedUnderLapsed, type Lapsed } from '../store/authorisations.ts';
import type { Card } from './card.ts';
import { adverseReasons, enrichedAllowed, evaluate, type EvalRecord, type Evaluation } from './engine.ts';

export const REPORT_VERSION = 'credit-report-v1';

/** A record version with the provenance the footnotes cite. */
export interface ReportRecord extends EvalRecord {
  readonly sourceUnit: string;
  readonly deliveredBy: string;
  readonly sourceLine: number;
  readonly receivedAt: string;
  readonly loadedAt: string;
}

export interface ReportInput {
  readonly reportNo: string;
  readonly generatedAt: string;
  readonly asOf: string;
  readonly dataCutoff: string;
  readonly uscc: string;
  readonly reader: { readonly role: string; readonly unit: string; readonly institution: string | null };
  /** The grant in force that each category was read under, when there was one. */
  readonly grants: Partial<Record<CategoryId, { readonly id: string; readonly expiresAt: string }>>;
  readonly categoryCutoffs: Partial<Record<CategoryId, string>>;
  readonly records: readonly ReportRecord[];
  /** What the revocation rule withheld when the report was issued (absent in reports issued before the rule reached reports). */
  readonly lapsed?: Lapsed;
  readonly card: Card;
  /** The service's access rules (api/access.ts), so the report shows exactly what the profile would. */
  readonly rules: AccessRules;
}

export interface AccessRules {
  isGatedCategory(spec: CategorySpec): boolean;
  pastPublicity(category: CategoryId, fields: Readonly<Record<string, unknown>>, today: string): boolean;
  viewFields(spec: CategorySpec, fields: Readonly<Record<string, unknown>>, authorised: boolean): { fields: Record<string, unknown>; masked: string[] };
}

export interface Table {
  readonly columns: readonly string[];
  readonly rows: readonly { readonly cells: readonly string[]; readonly source: string | null }[];
}

export interface Subsection {
  readonly id: string;
  readonly titleZh: string;
  readonly cutoff: string | null;
  readonly status: 'shown' | 'empty' | 'withheld';
  readonly noteZh: string | null;
  readonly masked: readonly string[];
  readonly table: Table | null;
}

export interface Section {
  readonly id: string;
  readonly titleZh: string;
  readonly paragraphs?: readonly string[];
  readonly pairs?: readonly (readonly [string, string])[];
  readonly table?: Table;
  readonly subsections?: readonly Subsection[];
}

export interface ReportContent {
  readonly reportVersion: string;
  readonly reportNo: string;
  readonly titleZh: string;
  readonly generatedAt: string;
  readonly asOf: string;
  readonly dataCutoff: string;
  readonly subject: { readonly uscc: string; readonly name: string | null };
  readonly reader: ReportInput['reader'];
  readonly sections: readonly Section[];
  readonly evaluations: { readonly public: Evaluation; readonly enriched: Evaluation | null };
  readonly footnotes: readonly { readonly mark: string; readonly textZh: string }[];
}

const DISPLAY: Record<CategoryId, readonly string[]> = {
  licensing: ['decision_no', 'licence_kind', 'certificate_name', 'decision_date', 'valid_to', 'status', 'authority_name', 'legal_rep_name', 'legal_rep_id_number'],
  penalty: ['decision_no', 'violation_type', 'penalty_kinds', 'content', 'fine_amount', 'decision_date', 'publicity_end', 'authority_name'],
  enforcement: ['decision_no', 'reason', 'method', 'executed_at', 'authority_name'],
  water: [],
  gas: [],
  rnd: ['national_high_tech', 'high_tech_cert_no', 'high_tech_valid_to', 'support_info', 'support_type', 'support_item', 'support_level', 'support_amount', 'support_date', 'granting_body'],
  agri: ['entity_type', 'principal', 'location', 'business_scope', 'land_right_info', 'housing_right_info', 'right_type', 'right_cert_no', 'area_mu', 'right_term_from', 'right_term_to', 'right_mortgaged'],
};

const ADMINISTRATIVE: readonly CategoryId[] = ['licensing', 'penalty', 'enforcement'];
const OTHER: readonly CategoryId[] = ['water', 'gas', 'rnd', 'agri'];
const NUMERALS = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

function cell(spec: CategorySpec, key: string, v: unknown): string {
  if (v === undefined || v === null || v === '') return '—';
  if (Array.isArray(v)) return v.join('、');
  if (typeof v === 'boolean') return v ? '是' : '否';
  const f = spec.field.get(key);
  if (key.endsWith('_to') && v === '2099-12-31') return '长期';
  if (f?.kind === 'amountWan') return `${v} 万元`;
  if (f?.kind === 'amountYuan') return `${v} 元`;
  return String(v);
}

/** An instant as a bank officer reads it: Beijing time (UTC+8, no daylight saving), to the second. */
export function beijingTime(iso: string): string {
  return `${new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ')}（北京时间）`;
}
const shownTime = (iso: string | null | undefined) => (iso ? beijingTime(iso) : '—');

const byOrder = (a: ReportRecord, b: ReportRecord) => (a.category < b.category ? -1 : a.category > b.category ? 1 : a.id - b.id);

/** Unpaid in a month: the arrears sent, or what was due and not paid. */
const unpaidOf = (f: Readonly<Record<string, unknown>>) => Math.max(0, f.arrears !== undefined && f.arrears !== '' ? Number(f.arrears) : Number(f.amount_due ?? 0) - Number(f.amount_paid ?? 0));

/** Water and gas are shown per account (户号), summarised from the monthly rows, not month by month. */
function utilityTable(recs: readonly ReportRecord[], source: (r: ReportRecord) => string, asOf: string): Table {
  const accounts = new Map<string, ReportRecord[]>();
  // monthly bills only: a row of the provider's own figures (近3/6个月月均用量, 当前是否欠费) has no month
  for (const r of recs.filter((x) => typeof x.fields.billing_month === 'string')) {
    const k = String(r.fields.account_no);
    accounts.set(k, [...(accounts.get(k) ?? []), r]);
  }
  const rows = [...accounts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([no, rs]) => {
    const monthsSorted = rs.map((r) => String(r.fields.billing_month)).sort();
    const last12 = rs.filter((r) => String(r.fields.billing_month) > monthsSorted[monthsSorted.length - 1].replace(/^(\d{4})/, (y) => String(Number(y) - 1)));
    const unpaidMonths = last12.filter((r) => unpaidOf(r.fields) > 0).length;
    // what is owed now is the running balance (docs/data-contract.md, Indicators): a catch-up payment clears earlier months
    const { balance, inArrears } = accountIndicators(rs.map((r) => ({
      accountNo: no, month: String(r.fields.billing_month), usage: String(r.fields.usage), amountDue: String(r.fields.amount_due), amountPaid: String(r.fields.amount_paid),
    })), asOf, no);
    return {
      cells: [no, String(rs[0].fields.account_name ?? '—'), `${monthsSorted[0]} 至 ${monthsSorted[monthsSorted.length - 1]}`, String(rs.length), String(unpaidMonths), inArrears ? `是（${balance} 元）` : '否'],
      source: [...new Set(rs.sort(byOrder).map(source))].join(' '),
    };
  });
  return { columns: ['户号', '户名', '账期范围', '账期数', '近12个账期欠费月数', '当前是否欠费（欠费余额）'], rows };
}

function evaluationSection(no: string, card: Card, evals: ReportContent['evaluations'], enrichedWithheld: boolean): Section {
  const pairs: [string, string][] = [['评价卡', `${card.titleZh}（${card.id}，版本 ${card.version}）`], ['评价日期', evals.public.asOf], ['数据截止时间', shownTime(evals.public.dataCutoff)]];
  const describe = (label: string, e: Evaluation) => {
    pairs.push([`${label}等级`, e.insufficientData ? `${e.grade}（${e.gradeLabelZh}）` : `${e.grade}（${e.gradeLabelZh}），得分 ${e.score}（基础分 ${e.base}）`]);
    const adverse = adverseReasons(e);
    if (adverse.length) pairs.push([`${label}主要扣分原因`, adverse.map((a) => `${a.code} ${a.textZh}`).join('；')]);
    if (e.coverage.withoutData.length) pairs.push([`${label}无数据类别`, e.coverage.withoutData.map((c) => category(c).labelZh).join('、')]);
  };
  describe('公共信用评价', evals.public);
  if (evals.enriched) describe('增强信用评价', evals.enriched);
  const rows = [evals.public, ...(evals.enriched ? [evals.enriched] : [])].flatMap((e) => [
    ...e.contributions.map((c) => ({ cells: [e.tier === 'public' ? '公共' : '增强', c.labelZh, `${c.value}${c.unitZh ?? ''}`, c.points > 0 ? `+${c.points}` : String(c.points), `${c.reasonCode} ${c.reasonZh}`], source: `记录 ${c.records.map((r) => r.recordId).join('、')}` })),
    ...e.knockouts.map((k) => ({ cells: [e.tier === 'public' ? '公共' : '增强', '否决项', '—', `不高于${k.grade}`, `${k.reasonCode} ${k.reasonZh}`], source: `记录 ${k.records.map((r) => r.recordId).join('、')}` })),
  ]);
  const paragraphs = ['本评价依据本平台归集的公共信用信息，按上列评分卡计算，供金融机构参考，不构成授信决定；评分卡与各指标说明见平台文档。'];
  if (enrichedWithheld) paragraphs.push('增强信用评价需使用水费、燃气费、科技研发、新型农业经营主体信息，查询机构未获企业对上述全部类别的在效授权，本报告不提供增强信用评价。');
  return { id: 'evaluation', titleZh: `${no}、信用评价信息`, pairs, table: { columns: ['层级', '指标', '取值', '分值', '原因'], rows }, paragraphs };
}

/**
 * The report's content. Penalties past their 公示截止期 are left out, and so is what the revocation
 * rule withholds (records collected under a platform authorisation no longer in force), as in the profile.
 */
export function buildReport(input: ReportInput): ReportContent {
  const { rules } = input;
  const lapsed = input.lapsed ?? {};
  const servable = input.records.filter((r) => !collectedUnderLapsed(lapsed, r));
  const lapsedOut = new Set(input.records.filter((r) => collectedUnderLapsed(lapsed, r)).map((r) => r.category));
  const records = servable.filter((r) => !rules.pastPublicity(r.category, r.fields, input.asOf)).sort(byOrder);
  // Footnotes: one per batch, in order of first citation.
  const batches = new Map<string, { mark: string; r: ReportRecord }>();
  const source = (r: ReportRecord) => {
    let b = batches.get(r.batchId);
    if (!b) batches.set(r.batchId, (b = { mark: `[${batches.size + 1}]`, r }));
    return `${b.mark}第${r.sourceLine}行`;
  };
  const granted = new Set(Object.keys(input.grants) as CategoryId[]);
  const subsection = (c: CategoryId, i: number): Subsection => {
    const spec = category(c);
    const gated = rules.isGatedCategory(spec);
    const base = { id: c, titleZh: `（${NUMERALS[i]}）${spec.labelZh}信息`, cutoff: input.categoryCutoffs[c] ? beijingTime(input.categoryCutoffs[c]!) : null };
    if (gated && !granted.has(c)) {
      return { ...base, status: 'withheld', masked: [], table: null, noteZh: `${spec.labelZh}为非公开信用信息（${spec.sharing}），查询机构无企业在效授权，不予提供。` };
    }
    const rs = records.filter((r) => r.category === c);
    // Said only when records were left out, as the profile's note is.
    const lapsedNote = lapsedOut.has(c) ? `企业对平台的${spec.labelZh}归集授权已撤销或到期，依该授权采集的记录不予提供（待企业重新授权）。` : null;
    if (rs.length === 0 && lapsedNote) return { ...base, status: 'withheld', masked: [], table: null, noteZh: lapsedNote };
    if (rs.length === 0) return { ...base, status: 'empty', masked: [], table: null, noteZh: `截至信息截止时间，本平台未归集到该企业的${spec.labelZh}信息。` };
    const masked = new Set<string>();
    if (c === 'water' || c === 'gas') return { ...base, status: 'shown', masked: [], noteZh: lapsedNote, table: utilityTable(rs, source, input.asOf) };
    const keys = DISPLAY[c];
    const rows = rs.map((r) => {
      const v = rules.viewFields(spec, r.fields, granted.has(c));
      for (const m of v.masked) if (keys.includes(m)) masked.add(m);
      return { cells: keys.map((k) => cell(spec, k, v.fields[k])), source: source(r) };
    });
    return {
      ...base, status: 'shown', table: { columns: keys.map((k) => spec.field.get(k)!.labelZh), rows }, masked: [...masked].sort(),
      noteZh: [masked.size ? `未经企业授权，${[...masked].sort().map((k) => spec.field.get(k)!.labelZh).join('、')}已作脱敏处理。` : null, lapsedNote].filter(Boolean).join('') || null,
    };
  };
  const evalInput = { uscc: input.uscc, asOf: input.asOf, dataCutoff: input.dataCutoff, records: servable, lapsed };
  const enrichedOk = enrichedAllowed(input.card, granted);
  const evaluations = { public: evaluate(input.card, 'public', evalInput), enriched: enrichedOk ? evaluate(input.card, 'enriched', evalInput) : null };
  const publicRecord = records.find((r) => ADMINISTRATIVE.includes(r.category)) ?? (records.find((r) => granted.has(r.category)));
  const name = (publicRecord?.fields.subject_name as string | undefined) ?? null;
  const legalRep = records.find((r) => ADMINISTRATIVE.includes(r.category) && r.fields.legal_rep_name)?.fields.legal_rep_name as string | undefined;
  const admin = ADMINISTRATIVE.map(subsection);
  const other = OTHER.map(subsection);
  const overview: Table = {
    columns: ['信息类别', '共享方式', '本报告收录条数', '信息截止时间', '说明'],
    rows: [...admin, ...other].map((s) => {
      const spec = category(s.id as CategoryId);
      return {
        cells: [spec.labelZh, spec.sharing, s.status === 'withheld' ? '—' : String(records.filter((r) => r.category === s.id).length), s.cutoff ?? '—',
          s.status === 'withheld' ? (granted.has(s.id as CategoryId) || !rules.isGatedCategory(spec) ? '授权已撤销或到期，不予提供' : '未授权，不予提供') : s.status === 'empty' ? '无记录' : s.masked.length ? '部分字段脱敏' : '完整'],
        source: null,
      };
    }),
  };
  const sections: Section[] = [
    {
      id: 'notes', titleZh: '一、报告说明',
      paragraphs: [
        `本报告由临沂市中小微企业融资信用服务平台依据《临沂市发挥信用信息应用价值助力中小微企业融资若干措施》（临政办发〔2023〕9号）生成，章节顺序参照《公共信用信息报告标准（2022年版）》，内容限于本平台归集的行政许可、行政处罚、行政强制、水费、燃气费、科技研发、新型农业经营主体七类信息；该标准中的严重失信主体名单、经营异常、信用承诺、司法判决等章节不在本平台归集范围内，本报告不含。`,
        '行政处罚信息仅收录公示截止期未届满的记录。水费、燃气费、科技研发、新型农业经营主体信息为非公开信息，仅在企业对查询机构的在效授权范围内提供；未经授权时，法定代表人证件类型、证件号码等字段作脱敏处理。',
        '每条记录均注明来源批次与行号（见脚注），可追溯至数据提供单位的报送文件。信用评价结果仅供参考，不构成授信决定；对报告内容有异议的，可向数据提供单位或本平台提出异议申请。',
        `本报告的内容摘要（SHA-256）记入平台访问日志；凭报告编号可在平台核验报告是否真实、是否被篡改。`,
      ],
    },
    {
      id: 'basic', titleZh: '二、基本信息',
      pairs: [['企业名称', name ?? '—'], ['统一社会信用代码', input.uscc], ['法定代表人', legalRep ?? '—'], ['查询机构', input.reader.institution ?? `${input.reader.unit}（平台）`],
        ['报告编号', input.reportNo], ['生成时间', shownTime(input.generatedAt)], ['信息截止时间', shownTime(input.dataCutoff)]],
    },
    { id: 'overview', titleZh: '三、信息概览', table: overview },
    { id: 'administrative', titleZh: '四、行政管理信息', subsections: admin },
    evaluationSection('五', input.card, evaluations, !enrichedOk),
    { id: 'other', titleZh: '六、其他信息（经企业授权）', subsections: other },
  ];
  return {
    reportVersion: REPORT_VERSION, reportNo: input.reportNo, titleZh: '公共信用信息报告（企业版）', generatedAt: input.generatedAt, asOf: input.asOf,
    dataCutoff: input.dataCutoff, subject: { uscc: input.uscc, name }, reader: input.reader, sections, evaluations,
    footnotes: [...batches.values()].map(({ mark, r }) => ({
      mark, textZh: `批次 ${r.batchId}：数据提供单位 ${r.sourceUnit}，报送单位 ${r.deliveredBy}，平台接收 ${shownTime(r.receivedAt)}，入库 ${shownTime(r.loadedAt)}`,
    })),
  };
}

/** SHA-256 of the content's canonical JSON: what the access log keeps and verify compares. */
export const reportHash = (c: ReportContent) => createHash('sha256').update(canonicalJson(c)).digest('hex');
