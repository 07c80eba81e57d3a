// One catalogue of router errors with stable codes; src/server/ maps them to OpenAI-shaped immediate responses.

/** Every stable error code, with the HTTP status it is answered with (documented in docs/errors.md). */
export const ERROR_CODES = {
  invalid_request: 400,
  invalid_json: 400,
  invalid_encoding: 400,
  missing_body: 400,
  missing_model: 400,
  missing_messages: 400,
  blocked_by_policy: 403,
  model_not_found: 404,
  request_too_large: 413,
  internal_error: 500,
  no_pool_available: 503,
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
      'invalid_request' | `invalid_${string}` | `missing_${string}`
    > = 'invalid_request',
    cause?: unknown,
  ) {
    super(code, message, { httpStatus: 400, cause });
  }
}

export class UnknownModelError extends RouterError {
  constructor(model: string) {
    super('model_not_found', `The model '${model}' does not exist or is not served by this router`, {
      httpStatus: 404,
    });
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
  constructor(message: string) {
    super('no_pool_available', message, { httpStatus: 503, errorType: 'server_error' });
  }
}

export class InternalRouterError extends RouterError {
  constructor(message: string, cause?: unknown) {
    super('internal_error', message, { httpStatus: 500, errorType: 'server_error', cause });
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
