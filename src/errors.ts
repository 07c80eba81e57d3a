// One catalogue of router errors with stable codes; src/server/ maps them to OpenAI-shaped immediate responses.

/** Every stable error code, with the HTTP status it is answered with (documented in docs/errors.md). */
export const ERROR_CODES = {
  invalid_request: 400,
  invalid_json: 400,
  invalid_encoding: 400,
  missing_body: 400,
  missing_model: 400,
  missing_messages: 400,
  json_too_deep: 400,
  blocked_by_policy: 403,
  model_not_allowed: 403,
  model_not_found: 404,
  unknown_endpoint: 404,
  method_not_allowed: 405,
  request_too_large: 413,
  headers_too_large: 431,
  rate_limit_exceeded: 429,
  internal_error: 500,
  no_pool_available: 503,
  pool_saturated: 503,
  signal_failed: 503,
  looper_failed: 502,
  invalid_policy: undefined,
} as const satisfies Record<string, number | undefined>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Every error the router raises on purpose; `code` is stable and documented in docs/errors.md. */
export class RouterError extends Error {
  readonly code: ErrorCode;
  /** HTTP status when the error is answered to a client; undefined for errors that never reach one. */
  readonly httpStatus: number | undefined;
  /** OpenAI error `type` field. */
  readonly errorType: string;

  constructor(
    code: ErrorCode,
    message: string,
    options: { httpStatus?: number; errorType?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = options.httpStatus;
    this.errorType = options.errorType ?? 'invalid_request_error';
  }
}

export class InvalidRequestError extends RouterError {
  constructor(
    message: string,
    code: Extract<
      ErrorCode,
      'invalid_request' | 'json_too_deep' | `invalid_${string}` | `missing_${string}`
    > = 'invalid_request',
    cause?: unknown,
  ) {
    super(code, message, { httpStatus: 400, cause });
  }
}

export class UnknownModelError extends RouterError {
  /** `api`: the model exists but is not served over that API. */
  constructor(model: string, api?: string) {
    super(
      'model_not_found',
      api === undefined
        ? `The model '${model}' does not exist or is not served by this router`
        : `The model '${model}' is not served over the ${api} API`,
      { httpStatus: 404 },
    );
  }
}

export class BodyTooLargeError extends RouterError {
  constructor(limitBytes: number) {
    super('request_too_large', `Request body exceeds the router's limit of ${limitBytes} bytes`, {
      httpStatus: 413,
    });
  }
}

export class PolicyBlockedError extends RouterError {
  constructor(message: string) {
    super('blocked_by_policy', message, { httpStatus: 403, errorType: 'permission_error' });
  }
}

export class NoPoolError extends RouterError {
  /** When every pool that fits is unavailable for a while (breakers open): the client's `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, retryAfterSeconds?: number) {
    super('no_pool_available', message, { httpStatus: 503, errorType: 'server_error' });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Which budget of a rate limit the request is over. */
export type RateLimitReason = 'requests' | 'tokens' | 'concurrency' | 'shed';

/** Over a policy rate limit: 429 with `Retry-After`; OpenAI's `type` says which budget ('requests' or 'tokens'). */
export class RateLimitedError extends RouterError {
  constructor(
    readonly limit: string,
    readonly reason: RateLimitReason,
    message: string,
    readonly retryAfterSeconds: number,
    answer: { code: 'rate_limit_exceeded' | 'pool_saturated'; errorType?: string } = {
      code: 'rate_limit_exceeded',
    },
  ) {
    super(answer.code, message, {
      httpStatus: ERROR_CODES[answer.code],
      errorType: answer.errorType ?? (reason === 'tokens' ? 'tokens' : 'requests'),
    });
  }
}

/**
 * Shed by `rate_limits.shedding`: the pool is saturated and the request's decision is below the priority floor.
 * 503, not 429: the server is overloaded, the client did nothing wrong (as Envoy's overload manager and adaptive
 * concurrency filter answer); `limit` is the pool, counted as a rate-limit refusal with reason `shed`.
 */
export class PoolSaturatedError extends RateLimitedError {
  constructor(pool: string, message: string, retryAfterSeconds: number) {
    super(pool, 'shed', message, retryAfterSeconds, { code: 'pool_saturated', errorType: 'server_error' });
  }
}

export class SignalFailedError extends RouterError {
  constructor(signal: string) {
    super(
      'signal_failed',
      `The router could not evaluate signal '${signal}' for this request and its policy says to fail (on_error: fail)`,
      { httpStatus: 503, errorType: 'server_error' },
    );
  }
}

export class ModelNotAllowedError extends RouterError {
  constructor(model: string) {
    super(
      'model_not_allowed',
      `The model '${model}' is reserved for requests the routing policy sends there; use 'auto' or another model`,
      { httpStatus: 403, errorType: 'permission_error' },
    );
  }
}

export class UnknownEndpointError extends RouterError {
  constructor(path: string) {
    super('unknown_endpoint', `The router does not serve ${path}`, { httpStatus: 404 });
  }
}

export class MethodNotAllowedError extends RouterError {
  constructor(method: string, path: string) {
    super('method_not_allowed', `Method ${method} is not allowed on ${path}; use POST`, { httpStatus: 405 });
  }
}

export class HeadersTooLargeError extends RouterError {
  constructor(what: string) {
    super('headers_too_large', `Request headers exceed the router's limit: ${what}`, { httpStatus: 431 });
  }
}

export class InternalRouterError extends RouterError {
  constructor(message: string, cause?: unknown) {
    super('internal_error', message, { httpStatus: 500, errorType: 'server_error', cause });
  }
}

/** A looper decision could not produce an answer (too few model calls succeeded, or one failed under on_error: fail). */
export class LooperFailedError extends RouterError {
  constructor(message: string) {
    super('looper_failed', message, { httpStatus: 502, errorType: 'server_error' });
  }
}

/** One problem found in a policy file, located by file and path inside the YAML. */
export interface PolicyIssue {
  readonly file: string;
  /** Dotted path inside the YAML, e.g. `routing.decisions[2].rules.conditions[0].name`. */
  readonly path: string;
  readonly message: string;
  readonly hint?: string;
  /** 1-based line in the file when known. */
  readonly line?: number;
  readonly severity: 'error' | 'warning';
}

export class PolicyError extends RouterError {
  readonly issues: readonly PolicyIssue[];

  constructor(issues: readonly PolicyIssue[]) {
    const errors = issues.filter((issue) => issue.severity === 'error');
    super(
      'invalid_policy',
      `Policy is invalid (${errors.length} error${errors.length === 1 ? '' : 's'}):\n${errors.map(formatPolicyIssue).join('\n')}`,
    );
    this.issues = issues;
  }
}

export function formatPolicyIssue(issue: PolicyIssue): string {
  const where = `${issue.file}${issue.line === undefined ? '' : `:${issue.line}`}`;
  const hint = issue.hint ? `\n    fix: ${issue.hint}` : '';
  return `  ${issue.severity}: ${where} at ${issue.path || '(root)'}: ${issue.message}${hint}`;
}
