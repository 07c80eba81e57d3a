// The stub's command line: flags for every StubOptions field, parsed into options (validated by createStubServer).
import { parseArgs } from 'node:util';
import type { StubOptions } from './settings.ts';

export const STUB_USAGE = `usage: stub --pool NAME [--port 8000] [--host 0.0.0.0] [--model NAME]
  [--ttft-ms MS] [--tokens-per-second N] [--completion-tokens N]
  [--error-rate 0..1] [--error-status 503] [--fault-mode status|reset|hang] [--fail-after N] [--seed N]
  [--max-concurrency N]
`;

/** Numeric flags and the option each sets. */
const NUMBER_FLAGS = {
  'ttft-ms': 'ttftMs',
  'tokens-per-second': 'tokensPerSecond',
  'completion-tokens': 'completionTokens',
  'error-rate': 'errorRate',
  'error-status': 'errorStatus',
  'fail-after': 'failAfter',
  seed: 'seed',
  'max-concurrency': 'maxConcurrency',
} as const satisfies Record<string, keyof StubOptions>;

export interface StubCommand {
  readonly options: StubOptions;
  readonly port: number;
  readonly host: string;
}

function number(flag: string, raw: string): number {
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(value)) throw new RangeError(`--${flag} must be a number (got '${raw}')`);
  return value;
}

/** Parses the arguments; throws (a TypeError or RangeError) on an unknown flag, a missing pool or a non-number. */
export function parseStubArgs(args: readonly string[]): StubCommand {
  const { values } = parseArgs({
    args: [...args],
    options: {
      pool: { type: 'string' },
      port: { type: 'string', default: '8000' },
      host: { type: 'string', default: '0.0.0.0' },
      model: { type: 'string' },
      'fault-mode': { type: 'string' },
      ...Object.fromEntries(Object.keys(NUMBER_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
    },
  });
  if (!values.pool) throw new RangeError('--pool is required');
  const options: Record<string, unknown> = { pool: values.pool };
  if (values.model !== undefined) options.model = values.model;
  if (values['fault-mode'] !== undefined) options.mode = values['fault-mode'];
  for (const [flag, option] of Object.entries(NUMBER_FLAGS)) {
    const raw = (values as Record<string, unknown>)[flag];
    if (typeof raw === 'string') options[option] = number(flag, raw);
  }
  return {
    options: options as unknown as StubOptions,
    port: number('port', String(values.port)),
    host: String(values.host),
  };
}
