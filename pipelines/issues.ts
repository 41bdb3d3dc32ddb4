// The catalogue of row and batch issue codes: one place for every code and its Chinese and English
// message. docs/errors.md lists the same table (a test checks they agree).

export interface IssueParams {
  /** The column's Chinese name as the clerk sees it. */
  column?: string;
  value?: string;
  /** Data (numbers, values, Chinese names) or Chinese text; shown in both messages unless detailEn is given. */
  detail?: string;
  /** The English of a detail that is text in a language, so that each message is wholly in its own. */
  detailEn?: string;
}

type Template = (p: IssueParams) => string;
interface IssueDef {
  readonly severity: 'error' | 'warning' | 'refusal';
  readonly zh: Template;
  readonly en: Template;
}

const v = (p: IssueParams) => (p.value === undefined ? '' : `「${p.value}」`);
const ve = (p: IssueParams) => (p.value === undefined ? '' : ` "${p.value}"`);
const de = (p: IssueParams) => p.detailEn ?? p.detail;

export const ISSUES = {
  // rows the parser could not read
  E_ROW_MALFORMED: { severity: 'error', zh: (p) => `该行格式错误，无法解析：${p.detail}`, en: (p) => `Malformed record, cannot be read: ${de(p)}` },
  E_ROW_INVALID_BYTES: { severity: 'error', zh: () => '该行含有无法按文件编码识别的字节（乱码），请检查文件编码', en: () => 'The record contains bytes that are not valid in the file\'s encoding; check the encoding' },
  E_ROW_NUL: { severity: 'error', zh: () => '该行含有 NUL 空字符（通常是文件损坏或编码不对），无法入库', en: () => 'The record contains NUL characters (usually a damaged file or a wrong encoding) and cannot be stored' },
  E_ROW_FIELD_COUNT: { severity: 'error', zh: (p) => `列数与表头不一致：${p.detail}`, en: (p) => `Field count differs from the header: ${de(p)}` },
  E_ROW_TOO_LONG: { severity: 'error', zh: (p) => `该行超过长度上限：${p.detail}`, en: (p) => `Record exceeds the length limit: ${de(p)}` },
  // field values
  E_REQUIRED: { severity: 'error', zh: (p) => `「${p.column}」为必填项，不能为空`, en: (p) => `${p.column} is required and is empty` },
  E_REQUIRED_WITH: { severity: 'error', zh: (p) => `填写了「${p.detail}」时，「${p.column}」为必填项`, en: (p) => `${p.column} is required when ${de(p)} is given` },
  E_TOO_LONG: { severity: 'error', zh: (p) => `「${p.column}」超过最大长度 ${p.detail} 个字符`, en: (p) => `${p.column} is longer than ${de(p)} characters` },
  E_USCC_LENGTH: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}不是18位统一社会信用代码`, en: (p) => `${p.column}${ve(p)} is not an 18-character unified social credit code` },
  E_USCC_CHARSET: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}含有统一社会信用代码不允许的字符（不得含I、O、S、V、Z）`, en: (p) => `${p.column}${ve(p)} has characters a USCC may not contain (I, O, S, V, Z are excluded)` },
  E_USCC_REGION: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}第3-8位不是行政区划码`, en: (p) => `${p.column}${ve(p)}: positions 3-8 are not a division code` },
  E_USCC_CHECK: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}校验位错误（GB 32100）`, en: (p) => `${p.column}${ve(p)} fails the GB 32100 check character` },
  E_USCC_ORG_CHECK: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}中的组织机构代码（第9-17位）校验位错误（GB 11714）`, en: (p) => `${p.column}${ve(p)}: the embedded organisation code (positions 9-17) fails its GB 11714 check` },
  E_ORG_CODE: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}不是有效的组织机构代码（GB 11714）`, en: (p) => `${p.column}${ve(p)} is not a valid organisation code (GB 11714)` },
  E_ID_NUMBER: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}不是有效的居民身份证号码（GB 11643）：${p.detail}`, en: (p) => `${p.column}${ve(p)} is not a valid resident identity number (GB 11643): ${de(p)}` },
  E_DATE: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}不是有效日期（可用 YYYY-MM-DD、YYYY/M/D、YYYYMMDD、YYYY年M月D日）`, en: (p) => `${p.column}${ve(p)} is not a valid date (use YYYY-MM-DD, YYYY/M/D, YYYYMMDD or YYYY年M月D日)` },
  E_MONTH: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}不是有效年月（YYYY-MM）`, en: (p) => `${p.column}${ve(p)} is not a valid month (YYYY-MM)` },
  E_DATE_ORDER: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}早于「${p.detail}」`, en: (p) => `${p.column}${ve(p)} is earlier than ${de(p)}` },
  E_AMOUNT: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}不是有效金额（非负数，${p.detail}）`, en: (p) => `${p.column}${ve(p)} is not a valid amount (non-negative, ${de(p)})` },
  E_QUANTITY: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}不是有效数量（非负数，最多3位小数）`, en: (p) => `${p.column}${ve(p)} is not a valid quantity (non-negative, up to 3 decimals)` },
  E_YES_NO: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}应为「是」或「否」`, en: (p) => `${p.column}${ve(p)} must be 是 (yes) or 否 (no)` },
  E_DIVISION_CODE: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}不是6位行政区划代码`, en: (p) => `${p.column}${ve(p)} is not a six-digit division code` },
  E_CODE_UNKNOWN: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}不在代码表中，可填：${p.detail}`, en: (p) => `${p.column}${ve(p)} is not in the code list; allowed: ${de(p)}` },
  E_FINE_WITHOUT_KIND: { severity: 'error', zh: (p) => `填写了罚款金额，但「${p.column}」未包含「罚款」`, en: (p) => `A fine amount is given but ${p.column} does not include 罚款 (fine)` },
  E_SOURCE_UNIT_NOT_PERMITTED: { severity: 'error', zh: (p) => `数据提供单位${v(p)}与报送单位不符：${p.detail}`, en: (p) => `Source unit${ve(p)} is not one the delivering unit may deliver for: ${de(p)}` },
  E_COMPOSITE: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}无法按附件格式拆分，可写作：${p.detail}`, en: (p) => `${p.column}${ve(p)} cannot be split into its fields; accepted forms: ${de(p)}` },
  E_UTILITY_EMPTY: { severity: 'error', zh: (p) => `该行既没有缴费明细（「${p.column}」），也没有近3/6个月月均用量或当前是否欠费`, en: (p) => `The row has neither a monthly bill (${p.column}) nor the provider's averages or arrears flag` },
  E_SCIENTIFIC_NOTATION: {
    severity: 'error',
    zh: (p) => `「${p.column}」${v(p)}被表格软件显示成了科学计数法，后几位数字已经丢失，无法还原。请在原始数据中把该列设置为“文本”格式后重新填写完整代码（或在代码前加英文单引号 '），不要从 CSV 打开后直接保存`,
    en: (p) => `${p.column}${ve(p)} was turned into scientific notation by a spreadsheet, and its last digits are lost; format the column as Text in the source, enter the full code again (or prefix it with an apostrophe), and do not save a CSV opened in Excel as is`,
  },
  E_INVALID: { severity: 'error', zh: (p) => `「${p.column}」${v(p)}不符合要求：${p.detail}`, en: (p) => `${p.column}${ve(p)} is invalid: ${de(p)}` },
  // warnings: the row is kept
  W_UNKNOWN_COLUMN: { severity: 'warning', zh: (p) => `未识别的列「${p.column}」，该列不入库`, en: (p) => `Unknown column "${p.column}" is not loaded` },
  W_DUPLICATE_COLUMN: { severity: 'warning', zh: (p) => `列「${p.column}」与前面的列对应同一字段，以第一列为准`, en: (p) => `Column "${p.column}" names the same field as an earlier column; the first one is used` },
  W_CERT_PATTERN: { severity: 'warning', zh: (p) => `「${p.column}」${v(p)}与证件类型${p.detail}的常见格式不符`, en: (p) => `${p.column}${ve(p)} does not look like a ${de(p)} number` },
  W_USCC_PREFIX: { severity: 'warning', zh: (p) => `「${p.column}」${v(p)}的登记管理部门和机构类别代码（前两位）不在已知列表中`, en: (p) => `${p.column}${ve(p)}: the first two characters are not a known registration-department and entity-type pair` },
  W_ID_UPGRADED: { severity: 'warning', zh: (p) => `「${p.column}」15位身份证号码${v(p)}已升级为18位：${p.detail}`, en: (p) => `${p.column}: the 15-digit identity number${ve(p)} was upgraded to 18 digits: ${de(p)}` },
  W_DERIVED: { severity: 'warning', zh: (p) => `「${p.column}」未填写，已由${p.detail}推定为${v(p)}`, en: (p) => `${p.column} was empty; derived from ${de(p)} as${ve(p)}` },
  W_UNIT_CONVERTED: { severity: 'warning', zh: (p) => `「${p.column}」${v(p)}已换算为${p.detail}，原值保留`, en: (p) => `${p.column}${ve(p)} was converted to ${de(p)}; the original is kept` },
  W_BLANK_ROW: { severity: 'warning', zh: () => '空行已跳过', en: () => 'Blank row skipped' },
  // the batch is refused whole
  R_MISSING_COLUMNS: { severity: 'refusal', zh: (p) => `缺少必填列：${p.detail}`, en: (p) => `Required columns are missing: ${de(p)}` },
  R_ENCODING_UNSUPPORTED: { severity: 'refusal', zh: (p) => `不支持的文件编码：${p.detail}，请另存为 UTF-8 或 GBK 编码的 CSV`, en: (p) => `Unsupported file encoding: ${de(p)}; save the file as UTF-8 or GBK CSV` },
  R_HEADER_UNREADABLE: { severity: 'refusal', zh: (p) => `表头行无法解析：${p.detail}`, en: (p) => `The header row cannot be read: ${de(p)}` },
  R_FILE_TOO_LARGE: { severity: 'refusal', zh: (p) => `文件超过大小上限：${p.detail}，整批退回`, en: (p) => `The file exceeds the size limit: ${de(p)}; the batch is refused` },
  R_TOO_MANY_COLUMNS: { severity: 'refusal', zh: (p) => `表头列数超过上限：${p.detail}`, en: (p) => `The header has more columns than allowed: ${de(p)}` },
  R_WORKBOOK_UNREADABLE: { severity: 'refusal', zh: (p) => `无法读取 Excel 工作簿：${p.detail}；请在 Excel 中另存为 .xlsx 或 CSV 后重新上传`, en: (p) => `The Excel workbook cannot be read: ${de(p)}; save it from Excel as .xlsx or CSV and upload again` },
  R_SHEET_NOT_FOUND: { severity: 'refusal', zh: (p) => `工作簿中没有指定的工作表：${p.detail}`, en: (p) => `The workbook has no such sheet: ${de(p)}` },
  R_OTHER_CATEGORY: {
    severity: 'refusal',
    zh: (p) => `此文件看起来是${p.value}数据：表头与「${p.value}」更吻合，而不是所选类别（缺少必填列：${p.detail}）。请选择类别「${p.value}」后重新上传`,
    en: (p) => `This file looks like ${p.value} data: its headers match that category better than the one chosen (required columns missing: ${de(p)}); choose ${p.value} and upload again`,
  },
  R_EMPTY_FILE: { severity: 'refusal', zh: () => '文件为空，没有表头', en: () => 'The file is empty: no header row' },
  R_OVER_BUDGET: { severity: 'refusal', zh: (p) => `错误行超过允许范围（${p.detail}），整批退回，未入库任何数据`, en: (p) => `Rejected rows exceed the error budget (${de(p)}); the batch is refused and nothing was loaded` },
} satisfies Record<string, IssueDef>;

export type IssueCode = keyof typeof ISSUES;

export function issueMessages(code: IssueCode, p: IssueParams): { messageZh: string; messageEn: string } {
  const d: IssueDef = ISSUES[code];
  return { messageZh: d.zh(p), messageEn: d.en(p) };
}

export interface IssueAt extends IssueParams {
  line: number | null;
  field?: string | null;
}

/** A RowIssue with both messages filled from the catalogue. */
export function makeIssue(code: IssueCode, at: IssueAt): import('./types.ts').RowIssue {
  return {
    line: at.line, column: at.column ?? null, field: at.field ?? null, value: at.value ?? null, code,
    ...issueMessages(code, at),
  };
}
