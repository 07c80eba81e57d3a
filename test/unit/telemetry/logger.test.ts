// The JSON logger: line shape, levels (LOG_LEVEL), redaction of credentials and prompt text, trace context.
import { context, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLogger,
  errorFields,
  type Logger,
  parseLogLevel,
  REDACTED,
} from '../../../src/telemetry/logger.ts';

function capture(options: Parameters<typeof createLogger>[0] = {}): {
  logger: Logger;
  lines: () => unknown[];
} {
  const raw: string[] = [];
  const logger = createLogger({ level: 'debug', ...options, write: (line) => raw.push(line) });
  return { logger, lines: () => raw.map((line) => JSON.parse(line)) };
}

describe('createLogger', () => {
  const savedLevel = process.env.LOG_LEVEL;
  afterEach(() => {
    if (savedLevel === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = savedLevel;
  });

  it('writes one JSON line per event with time, level label, message and fields, message first', () => {
    const raw: string[] = [];
    const logger = createLogger({ level: 'info', fields: { service: 'router' }, write: (l) => raw.push(l) });
    logger.info('semantic-router listening', { port: 50051, ok: true, none: null, gone: undefined });
    expect(raw).toHaveLength(1);
    expect(raw[0]?.endsWith('\n')).toBe(true);
    expect(raw[0]).toMatch(/"msg":"semantic-router listening".*?"port":50051/);
    const line = JSON.parse(raw[0] as string);
    expect(line).toMatchObject({ level: 'info', service: 'router', port: 50051, ok: true, none: null });
    expect(line).not.toHaveProperty('gone');
    expect(Number.isNaN(Date.parse(line.time))).toBe(false);
  });

  it('drops events below the level and adds child fields', () => {
    const { logger, lines } = capture({ level: 'warn' });
    logger.debug('no');
    logger.info('no');
    logger.child({ component: 'policy' }).warn('yes', { generation: 2 });
    logger.error('also');
    expect(lines()).toMatchObject([
      { level: 'warn', msg: 'yes', component: 'policy', generation: 2 },
      { level: 'error', msg: 'also' },
    ]);
  });

  it('takes its level from LOG_LEVEL, defaulting to info for unknown values', () => {
    expect(parseLogLevel('DEBUG')).toBe('debug');
    expect(parseLogLevel(' warn ')).toBe('warn');
    expect(parseLogLevel('verbose')).toBe('info');
    expect(parseLogLevel(undefined)).toBe('info');
    process.env.LOG_LEVEL = 'error';
    const raw: string[] = [];
    const logger = createLogger({ write: (l) => raw.push(l) });
    logger.warn('hidden');
    logger.error('shown');
    expect(raw).toHaveLength(1);
    process.env.LOG_LEVEL = 'silent';
    createLogger({ write: (l) => raw.push(l) }).error('never');
    expect(raw).toHaveLength(1);
  });

  it('redacts credentials and prompt text, in fields and in child bindings', () => {
    const { logger, lines } = capture();
    logger.child({ authorization: 'Bearer abc', component: 'server' }).info('request', {
      cookie: 'session=1',
      'x-api-key': 'sk-1',
      apiKey: 'sk-2',
      api_key: 'sk-3',
      password: 'hunter2',
      prompt: 'tell me a secret',
      messages: 'hello there',
      content: 'the quick brown fox',
      model: 'small-chat',
    });
    const [line] = lines() as Record<string, unknown>[];
    for (const key of [
      'authorization',
      'cookie',
      'x-api-key',
      'apiKey',
      'api_key',
      'password',
      'prompt',
      'messages',
      'content',
    ])
      expect(line?.[key], key).toBe(REDACTED);
    expect(line).toMatchObject({ component: 'server', model: 'small-chat' });
    expect(JSON.stringify(line)).not.toMatch(/abc|sk-\d|hunter2|secret|hello|brown fox/);
  });

  it('adds trace_id and span_id of the active span, and nothing without one', () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const { logger, lines } = capture();
      const span = trace.wrapSpanContext({
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: TraceFlags.SAMPLED,
      });
      context.with(trace.setSpan(context.active(), span), () => logger.info('inside'));
      logger.info('outside');
      const [inside, outside] = lines();
      expect(inside).toMatchObject({
        trace_id: '0af7651916cd43dd8448eb211c80319c',
        span_id: 'b7ad6b7169203331',
        trace_flags: '01',
      });
      expect(outside).not.toHaveProperty('trace_id');
    } finally {
      context.disable();
    }
  });
});

describe('errorFields', () => {
  it('keeps message, name and a string code', () => {
    const error = Object.assign(new TypeError('bad'), { code: 'E_BAD' });
    expect(errorFields(error)).toEqual({ error: 'bad', errorName: 'TypeError', errorCode: 'E_BAD' });
    expect(errorFields('plain')).toEqual({ error: 'plain' });
  });
});
