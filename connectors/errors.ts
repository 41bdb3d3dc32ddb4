// The errors a connector throws on purpose. Each has a stable code (docs/errors.md) and says whether
// trying again later can help: the orchestration retries `retryable` ones with backoff and fails the
// others at once (BullMQ UnrecoverableError). Once an error has crossed a queue only its fields
// survive, so callers test `code`/`retryable`, not `instanceof`.

export type ConnectorErrorCode = 'E_PROVIDER_UNAVAILABLE' | 'E_PROVIDER_REJECTED' | 'E_PROVIDER_AUTH' | 'E_PAYLOAD_MALFORMED' | 'E_SOURCE_CONFIG';

export abstract class ConnectorError extends Error {
  abstract readonly code: ConnectorErrorCode;
  abstract readonly retryable: boolean;
  constructor(
    readonly messageZh: string,
    readonly messageEn: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(`${messageZh} / ${messageEn}`);
    this.name = new.target.name;
  }
}

/** 5xx, network failures, timeouts, 429s: the provider may answer later. */
export class ProviderUnavailableError extends ConnectorError {
  readonly code = 'E_PROVIDER_UNAVAILABLE';
  readonly retryable = true;
}

/** The provider refused the request (4xx): asking again the same way cannot help. */
export class ProviderRejectedError extends ConnectorError {
  readonly code = 'E_PROVIDER_REJECTED';
  readonly retryable = false;
}

/** Wrong or missing credentials (401/403, or the secret's environment variable is not set). */
export class ProviderAuthError extends ConnectorError {
  readonly code = 'E_PROVIDER_AUTH';
  readonly retryable = false;
}

/** A successful answer that is not what the source's configuration describes. */
export class MalformedPayloadError extends ConnectorError {
  readonly code = 'E_PAYLOAD_MALFORMED';
  readonly retryable = false;
}

/** The sources file or one source in it is invalid; `problems` lists every one. */
export class SourceConfigError extends ConnectorError {
  readonly code = 'E_SOURCE_CONFIG';
  readonly retryable = false;
  constructor(readonly problems: readonly string[]) {
    super(`数据源配置有误：\n- ${problems.join('\n- ')}`, `Source configuration problems:\n- ${problems.join('\n- ')}`, { problems });
  }
}

/**
 * True for errors that say trying again cannot help (data and configuration errors). Anything else,
 * including errors from outside the connectors (database down), is worth a retry. Works on plain
 * objects that crossed a queue.
 */
export function isUnrecoverable(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { retryable?: unknown }).retryable === false;
}
