// The providers' APIs as the stand-ins serve them: path, credentials, paging style and the
// providers' own field names (the 双公示 standard's XK_/CF_ names on the public credit platform,
// camelCase at the water utility, pinyin initials at the science bureau …). sources.demo.json
// describes the same APIs from the platform's side; its fieldMapping is the inverse of `names`.
import type { Pagination } from '../../connectors/http/incremental.ts';
import type { CategoryId } from '../../schemas/registry.ts';

export type ApiId = CategoryId;
export const API_IDS: readonly ApiId[] = ['licensing', 'penalty', 'enforcement', 'water', 'gas', 'rnd', 'agri'];
export const PER_ENTERPRISE: readonly ApiId[] = ['water', 'gas', 'rnd', 'agri'];

export interface ApiDef {
  readonly id: ApiId;
  /** `{uscc}` marks the per-enterprise APIs. */
  readonly path: string;
  readonly auth: { readonly header: 'authorization' | 'x-api-key'; readonly env: string; readonly token: string };
  readonly sinceParam: string;
  readonly pagination: Pagination;
  readonly recordsPath: string;
  readonly idField: string;
  readonly cursorField: string;
  /** schema field key -> the provider's name for it */
  readonly names: Readonly<Record<string, string>>;
  /** Fields the provider sends as JSON numbers / booleans (是/否) rather than text. */
  readonly numbers?: readonly string[];
  readonly booleans?: readonly string[];
  /** Answers 404 for an enterprise it has no account for (else an empty list). */
  readonly notFoundForUnknown?: boolean;
}

const subject = (p: string) => ({
  subject_name: `${p}_XDR_MC`, subject_uscc: `${p}_XDR_SHXYM`, legal_rep_name: `${p}_FRDB`, legal_rep_id_type: `${p}_FR_ZJLX`,
  legal_rep_id_number: `${p}_FR_ZJHM`, decision_no: `${p}_WSH`, remarks: 'BZ',
});
const subjectCodes = (p: string) => ({
  subject_type: `${p}_XDR_LB`, subject_reg_no: `${p}_XDR_GSZC`, subject_org_code: `${p}_XDR_ZZJG`, subject_tax_no: `${p}_XDR_SWDJ`,
  subject_institution_no: `${p}_XDR_SYDW`, subject_social_org_no: `${p}_XDR_SHZZ`,
});
const UTILITY_NUMBERS = ['usage', 'amount_due', 'amount_paid', 'arrears', 'avg_usage_3m', 'avg_usage_6m'];

export const APIS: Readonly<Record<ApiId, ApiDef>> = {
  licensing: {
    id: 'licensing', path: '/api/v1/sgs/xzxk', auth: { header: 'authorization', env: 'DEMO_CREDIT_PLATFORM_TOKEN', token: 'demo-platform-token-2025' },
    sinceParam: 'updated_since', pagination: { style: 'page', pageParam: 'page', sizeParam: 'page_size', size: 20, firstPage: 1 },
    recordsPath: 'data.records', idField: 'ID', cursorField: 'GXSJ',
    names: {
      ...subject('XK'), ...subjectCodes('XK'), decision_doc_name: 'XK_XKWS', licence_kind: 'XK_XKLB', certificate_name: 'XK_XKZS', licence_no: 'XK_XKBH',
      content: 'XK_NR', decision_date: 'XK_JDRQ', valid_from: 'XK_YXQZ', valid_to: 'XK_YXQZI', status: 'XK_ZT', authority_name: 'XK_XKJG',
      authority_uscc: 'XK_XKJGDM', source_unit: 'XK_LYDW', source_unit_uscc: 'XK_LYDWDM',
    },
  },
  penalty: {
    id: 'penalty', path: '/open/sgs/xzcf/records', auth: { header: 'x-api-key', env: 'DEMO_CREDIT_PLATFORM_KEY', token: 'demo-platform-key-2025' },
    sinceParam: 'since', pagination: { style: 'token', tokenParam: 'next', sizeParam: 'limit', size: 20, nextTokenPath: 'next_token' },
    recordsPath: 'items', idField: 'ID', cursorField: 'GXSJ',
    names: {
      ...subject('CF'), ...subjectCodes('CF'), decision_doc_name: 'CF_CFMC', violation_type: 'CF_WFXW', violation_facts: 'CF_SY', legal_basis: 'CF_YJ',
      penalty_kinds: 'CF_CFLB', content: 'CF_NR', fine_amount: 'CF_NR_FK', confiscated_amount: 'CF_NR_WFFF', licence_suspended: 'CF_NR_ZKDX',
      decision_date: 'CF_JDRQ', valid_until: 'CF_YXQ', publicity_end: 'CF_GSJZQ', authority_name: 'CF_CFJG', authority_uscc: 'CF_CFJGDM',
      source_unit: 'CF_SJLY', source_unit_uscc: 'CF_SJLYDM',
    },
  },
  enforcement: {
    id: 'enforcement', path: '/api/xzqz', auth: { header: 'authorization', env: 'DEMO_CREDIT_PLATFORM_TOKEN', token: 'demo-platform-token-2025' },
    sinceParam: 'modified_since', pagination: { style: 'offset', offsetParam: 'offset', sizeParam: 'limit', size: 20 },
    recordsPath: 'rows', idField: 'ID', cursorField: 'GXSJ',
    names: {
      ...subject('QZ'), decision_doc_name: 'QZ_JDSMC', reason: 'QZ_SY', legal_basis: 'QZ_YJ', method: 'QZ_FS', executed_at: 'QZ_ZXRQ',
      authority_name: 'QZ_JG', authority_uscc: 'QZ_JGDM', source_unit: 'QZ_SJLY', source_unit_uscc: 'QZ_SJLYDM',
    },
  },
  water: {
    id: 'water', path: '/api/enterprises/{uscc}/bills', auth: { header: 'x-api-key', env: 'DEMO_WATER_API_KEY', token: 'demo-water-key' },
    sinceParam: 'updated_since', pagination: { style: 'page', pageParam: 'page', sizeParam: 'size', size: 10, firstPage: 1 },
    recordsPath: 'data', idField: 'billId', cursorField: 'updatedAt', notFoundForUnknown: true,
    names: {
      subject_name: 'customerName', subject_uscc: 'creditCode', account_name: 'accountName', account_no: 'accountNo', billing_month: 'period',
      usage: 'volume', amount_due: 'amountDue', amount_paid: 'amountPaid', paid_date: 'paidAt', arrears: 'arrears', avg_usage_3m: 'avg3m',
      avg_usage_6m: 'avg6m', in_arrears: 'overdue',
    },
    numbers: UTILITY_NUMBERS, booleans: ['in_arrears'],
  },
  gas: {
    id: 'gas', path: '/gas/v2/customers/{uscc}/statements', auth: { header: 'authorization', env: 'DEMO_GAS_API_TOKEN', token: 'demo-gas-token' },
    sinceParam: 'since', pagination: { style: 'offset', offsetParam: 'offset', sizeParam: 'limit', size: 10 },
    recordsPath: 'statements', idField: 'statement_id', cursorField: 'last_modified',
    names: {
      subject_name: 'customer_name', subject_uscc: 'social_credit_code', account_name: 'account_name', account_no: 'account_no',
      billing_month: 'bill_month', usage: 'gas_volume_m3', amount_due: 'amount_payable', amount_paid: 'amount_received', paid_date: 'payment_date',
      arrears: 'outstanding', avg_usage_3m: 'avg_3m', avg_usage_6m: 'avg_6m', in_arrears: 'is_overdue',
    },
    numbers: UTILITY_NUMBERS, booleans: ['in_arrears'],
  },
  rnd: {
    id: 'rnd', path: '/kj/api/qy/{uscc}/kyzc', auth: { header: 'authorization', env: 'DEMO_SCIENCE_API_TOKEN', token: 'demo-science-token' },
    sinceParam: 'gxsj', pagination: { style: 'page', pageParam: 'pageNum', sizeParam: 'pageSize', size: 5, firstPage: 1 },
    recordsPath: 'data.list', idField: 'xh', cursorField: 'gxsj',
    names: {
      subject_name: 'qymc', subject_uscc: 'tyshxydm', national_high_tech: 'sfgxjsqy', high_tech_cert_no: 'gxzsbh', high_tech_valid_to: 'gxyxqz',
      support_type: 'zclx', support_item: 'zcxm', support_level: 'zcjb', support_amount: 'zcje', support_date: 'zcrq', granting_body: 'zcbm',
    },
  },
  agri: {
    id: 'agri', path: '/nync/api/entities/{uscc}/rights', auth: { header: 'authorization', env: 'DEMO_AGRI_API_TOKEN', token: 'demo-agri-token' },
    sinceParam: 'updatedSince', pagination: { style: 'token', tokenParam: 'cursor', sizeParam: 'limit', size: 5, nextTokenPath: 'next' },
    recordsPath: 'items', idField: 'id', cursorField: 'updatedAt',
    names: {
      subject_name: 'entityName', subject_uscc: 'uscc', entity_type: 'entityType', principal: 'principal', location: 'address', division_code: 'areaCode',
      business_scope: 'businessScope', right_type: 'rightType', right_cert_no: 'certificateNo', area_mu: 'areaMu', right_term_to: 'termEnd',
      right_mortgaged: 'mortgaged',
    },
    numbers: ['area_mu'], booleans: ['right_mortgaged'],
  },
};

/** The source-database stand-in: 临沂市大数据局's enforcement table (行政强制信息), lower-case column names. */
export const SOURCE_DB_COLUMNS: Readonly<Record<string, string>> = {
  subject_name: 'xdr_mc', subject_uscc: 'xdr_shxym', legal_rep_name: 'frdb', legal_rep_id_type: 'fr_zjlx', legal_rep_id_number: 'fr_zjhm',
  decision_doc_name: 'jdsmc', decision_no: 'wsh', reason: 'qzsy', legal_basis: 'qzyj', method: 'qzfs', executed_at: 'zxrq',
  authority_name: 'jg_mc', authority_uscc: 'jg_dm', source_unit: 'sjly', source_unit_uscc: 'sjly_dm', remarks: 'bz',
};
export const SOURCE_DB_TABLE = 'xzqz_xx';
