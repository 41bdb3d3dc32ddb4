// The service's errors: one class, one catalogue, each with an HTTP status, a stable code and
// messages in Chinese and English. The error handler turns anything else into one of these.
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    readonly messageZh: string,
    readonly messageEn: string,
  ) {
    super(messageEn);
    this.name = 'ApiError';
  }
}

export const Errors = {
  unauthenticated: () => new ApiError(401, 'E_UNAUTHENTICATED', '缺少或无效的访问令牌', 'missing, unknown or revoked API token'),
  forbidden: () => new ApiError(403, 'E_FORBIDDEN', '当前令牌的角色无权执行此操作', "this token's role may not do this"),
  batchNotFound: () => new ApiError(404, 'E_BATCH_NOT_FOUND', '批次不存在，或不是本单位报送的', 'no such batch, or not delivered by your unit'),
  notFound: (what: string, whatZh: string) => new ApiError(404, 'E_NOT_FOUND', `${whatZh}不存在`, `no such ${what}`),
  badRequest: (zh: string, en: string) => new ApiError(400, 'E_BAD_REQUEST', zh, en),
  invalidText: (where: string, field: string) => new ApiError(400, 'E_INVALID_TEXT', `请求${where === 'body' ? '体' : '参数'}中的“${field}”含有空字符（NUL）或无效字符`,
    `the request's ${where} field "${field}" holds a NUL or an invalid character`),
  unknownInstitution: (name: string) => new ApiError(400, 'E_UNKNOWN_INSTITUTION', `金融机构“${name}”未登记（credit-etl institutions add 或 POST /admin/institutions）`,
    `the institution "${name}" is not registered (credit-etl institutions add, or POST /admin/institutions)`),
  unknownProvider: (unit: string) => new ApiError(400, 'E_UNKNOWN_PROVIDER', `未知的数据提供单位“${unit}”`, `unknown provider unit "${unit}"`),
  unknownEncoding: (detail: string) => new ApiError(400, 'E_UNKNOWN_ENCODING', '不支持的文件编码', detail),
  unsupportedMediaType: (detail: string) => new ApiError(415, 'E_UNSUPPORTED_MEDIA_TYPE', '不支持的请求内容类型', `unsupported content type: ${detail}`),
  unknownCategory: (name: string) => new ApiError(400, 'E_UNKNOWN_CATEGORY', `未知的信息类别“${name}”`, `unknown category "${name}"`),
  categoryNotDelivered: (unit: string, zh: string, id: string) =>
    new ApiError(403, 'E_CATEGORY_NOT_DELIVERED', `${unit} 不报送${zh}信息`, `${unit} does not deliver ${id}`),
  categoryNeedsAuthorisation: (zh: string, id: string) => new ApiError(403, 'E_CATEGORY_NEEDS_AUTHORISATION',
    `${zh}为非公开信用信息，仅可在企业授权下按企业查询（GET /enterprises/{uscc}）`,
    `${id} is non-public; it is read per enterprise under the enterprise's authorisation (GET /enterprises/{uscc})`),
  // A file part whose name holds a line break is dropped by the multipart parser (@fastify/busboy): it arrives as no file.
  noFile: () => new ApiError(400, 'E_NO_FILE', '请求中没有文件（文件名含换行符的文件不被接受，请改名后重新上传）', 'the request carries no file (a file whose name holds a line break is not accepted; rename it and upload again)'),
  queueUnavailable: () => new ApiError(503, 'E_QUEUE_UNAVAILABLE', '排队服务（Redis）暂不可用，文件未被接收，请稍后重新上传',
    'the queue (Redis) is unavailable; the file was not accepted, upload it again later'),
  fileTooLarge: (limit: number) => new ApiError(413, 'E_FILE_TOO_LARGE', `文件超过大小上限（${limit} 字节）`, `the file exceeds the size limit (${limit} bytes)`),
  bodyTooLarge: () => new ApiError(413, 'E_BODY_TOO_LARGE', '请求体过大', 'request body too large'),
  batchHasRecords: () => new ApiError(409, 'E_BATCH_HAS_RECORDS', '该批次的数据已入库，不能删除（入库数据的来源须可追溯）',
    'records in the store came from this batch; it cannot be deleted (stored data must keep its provenance)'),
  authRateLimited: () => new ApiError(429, 'E_AUTH_RATE_LIMITED', '该地址身份验证失败次数过多，请一分钟后再试', 'too many failed authentications from this address; try again in a minute'),
  rateLimited: () => new ApiError(429, 'E_RATE_LIMITED', '请求过于频繁，请稍后再试', 'too many requests; try again later'),
  internal: () => new ApiError(500, 'E_INTERNAL', '服务内部错误', 'internal error'),
} as const;

export const errorResponseSchema = {
  $id: 'Error',
  type: 'object',
  required: ['code', 'messageZh', 'messageEn'],
  properties: {
    code: { type: 'string', description: 'stable error code' },
    messageZh: { type: 'string' },
    messageEn: { type: 'string' },
    requestId: { type: 'string' },
  },
} as const;
