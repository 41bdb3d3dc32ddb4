// Records for the alert tests, built field by field (English keys, through a connector's row source)
// so each test states exactly what changed between two deliveries.
import { ingestSource, type DeliveryOptions } from '../../ingest/ingest-file.ts';
import { rowsSource, type BatchReport } from '../../pipelines/run-batch.ts';
import { category, findProviderUnit, type CategoryId } from '../../schemas/registry.ts';
import type { Db } from '../../store/db.ts';
import { silentLog } from './ingest.ts';

/** Valid USCCs (check digits) of the fixture enterprises. */
export const USCCS = ['913713000460008664', '9137130051936971XW', '91371300533241579W', '91371300634378785T', '913713007129619856',
  '913713007889566565', '91371300795573389F', '91371300MA1D29AW1L', '91371300MA35BUGQ38', '91371300MA466M4915', '91371302683479179Y',
  '9137132233640464X1', '91371322357029674A', '913713225071780783', '91371322MA33QUNG6N', '91371323MA3PMTTU46', '913713255606269764',
  '91371326765330802K', '91371329MA9772QL00', '91371371MA3TUEUF4F'] as const;

const ECOLOGY = '临沂市生态环境局';
const ECOLOGY_USCC = '11371300000109268N';

type Row = Record<string, unknown>;

export function penalty(i: number, uscc: string, over: Row = {}): Row {
  return {
    subject_name: `临沂市示例企业${i}有限公司`, subject_uscc: uscc, subject_type: '法人及非法人组织', decision_doc_name: '行政处罚决定书',
    decision_no: `临环罚字〔2026〕第${String(i).padStart(4, '0')}号`, violation_type: '违反建设项目环境保护管理制度', violation_facts: '环境保护设施未经验收即投入生产',
    legal_basis: '《建设项目环境保护管理条例》第二十三条', penalty_kinds: '罚款', content: '罚款人民币10000元', fine_amount: '1',
    decision_date: '2026-10-01', valid_until: '2027-10-01', publicity_end: '2029-10-01',
    authority_name: ECOLOGY, authority_uscc: ECOLOGY_USCC, source_unit: ECOLOGY, source_unit_uscc: ECOLOGY_USCC, ...over,
  };
}

export function licence(i: number, uscc: string, over: Row = {}): Row {
  return {
    subject_name: `临沂市示例企业${i}有限公司`, subject_uscc: uscc, subject_type: '法人及非法人组织', decision_doc_name: '排污许可决定书',
    decision_no: `临环许〔2026〕${String(i).padStart(4, '0')}号`, licence_kind: '普通', licence_no: `PW-${i}`, decision_date: '2026-01-01',
    valid_from: '2026-01-01', valid_to: '2031-01-01', status: '有效', authority_name: ECOLOGY, authority_uscc: ECOLOGY_USCC,
    source_unit: ECOLOGY, source_unit_uscc: ECOLOGY_USCC, ...over,
  };
}

export function bill(uscc: string, account: string, month: string, unpaid = 0): Row {
  return {
    subject_name: '临沂市示例企业有限公司', subject_uscc: uscc, account_name: '临沂市示例企业有限公司', account_no: account, billing_month: month,
    usage: 10, amount_due: 50, amount_paid: 50 - unpaid,
  };
}

async function* each(list: readonly Row[]) {
  yield* list;
}

const PROVIDER: Partial<Record<CategoryId, string>> = { penalty: 'ecology', licensing: 'ecology', enforcement: 'ecology', water: 'water-utility', gas: 'gas-utility' };

/** One delivery of these rows as a batch, by the category's usual provider unless told. */
export function deliver(db: Db, cat: CategoryId, rows: readonly Row[], opts: Partial<Omit<DeliveryOptions, 'category'>> & { provider?: string } = {}): Promise<BatchReport> {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const { provider, ...rest } = opts;
  return ingestSource(db, rowsSource(keys, each(rows)), {
    category: category(cat), deliverer: findProviderUnit(provider ?? PROVIDER[cat]!)!, name: `test ${cat}`, ...rest,
  }, { log: silentLog });
}
