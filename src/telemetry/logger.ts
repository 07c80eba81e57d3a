// Structured JSON logs (pino) on stderr, one line per event: level from LOG_LEVEL, trace and span ids of the
// active OpenTelemetry span, credentials and prompt text redacted at this single logging point.
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
const LEVELS: ReadonlySet<string> = new Set<LogLevel>([
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
]);

export type LogFields = Record<string, string | number | boolean | undefined | null>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Defaults to LOG_LEVEL, else `info`. */
  readonly level?: LogLevel;
  /** Receives each JSON line (newline-terminated); defaults to synchronous writes to stderr. */
  readonly write?: (line: string) => void;
  readonly fields?: LogFields;
}

export const REDACTED = '[REDACTED]';

const SENSITIVE_KEYS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'apiKey',
  'api_key',
  'api-key',
  'x-api-key',
  'password',
  'secret',
  'token',
  'accessToken',
  'access_token',
  'prompt',
  'messages',
  'content',
  'input',
  'system',
  'body',
];

/** Redaction paths: each sensitive key at the top level, one level down and inside `headers`/`request`. */
export const REDACT_PATHS: readonly string[] = SENSITIVE_KEYS.flatMap((key) => {
  const member = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
  const nested = member.startsWith('[') ? member : `.${member}`;
  return [member, `*${nested}`, `headers${nested}`, `request${nested}`, `request.headers${nested}`];
});

export function parseLogLevel(value: string | undefined): LogLevel {
  const level = value?.trim().toLowerCase();
  return level && LEVELS.has(level) ? (level as LogLevel) : 'info';
}

/** `trace_id`/`span_id` of the span active where the log call happens, when there is one. */
function traceContext(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const context = span.spanContext();
  if (!isSpanContextValid(context)) return {};
  return {
    trace_id: context.traceId,
    span_id: context.spanId,
    trace_flags: `0${context.traceFlags.toString(16)}`.slice(-2),
  };
}

function destination(write: LoggerOptions['write']): DestinationStream {
  if (write) return { write };
  // Synchronous: the last lines before an exit (e.g. after SIGTERM) must not be lost in a buffer.
  return pino.destination({ dest: 2, sync: true });
}

function wrap(instance: PinoLogger): Logger {
  // The message goes first in the object so lines read `"msg":…,"field":…` (tools match on that order).
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: LogFields): void => {
      if (!instance.isLevelEnabled(level)) return;
      instance[level]({ msg: message, ...fields });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => wrap(instance.child(fields)),
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const instance = pino(
    {
      level: options.level ?? parseLogLevel(process.env.LOG_LEVEL),
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      mixin: traceContext,
    },
    destination(options.write),
  );
  return wrap(options.fields ? instance.child(options.fields) : instance);
}

export const silentLogger: Logger = createLogger({ level: 'silent', write: () => {} });

export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      error: error.message,
      errorName: error.name,
      ...(typeof code === 'string' && { errorCode: code }),
    };
  }
  return { error: String(error) };
}
