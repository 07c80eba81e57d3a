// Command-line options the benches share.

/** `value` of option `--name` as an integer ≥ `min`, or an error naming the option. */
export function integerOption(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return n;
}

/** The options of the in-process benches that replay the workload (bench/in-process-exchange.ts). */
export const IN_PROCESS_OPTIONS = {
  requests: { type: 'string', default: '400' },
  rounds: { type: 'string', default: '8' },
  // Requests per variant before measuring: after 300 the routing code was still being compiled (2026-12-03, `off`
  // of tracing-cost.ts: 265-291 µs per request after 300, 133 after 3,000, 100 after 20,000).
  warmup: { type: 'string', default: '3000' },
  policy: { type: 'string', default: 'policies/default.yaml' },
  data: { type: 'string', default: '../shared/data' },
  'skip-long': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

/** What one in-process bench run replays, and how often. */
export interface InProcessRunOptions {
  /** Requests per block (one variant, one round). */
  readonly requests: number;
  readonly rounds: number;
  /** Requests per variant before measuring (JIT, caches). */
  readonly warmup: number;
  /** Policy file, relative to the repository root. */
  readonly policy: string;
  /** Data directory, relative to the repository root. */
  readonly data: string;
  readonly seed?: number;
  /** Leave out the rare ~120K-character prompts: their signal time jitters more than what the bench measures. */
  readonly skipLong?: boolean;
}

/** The run settings those options give. */
export function inProcessRun(values: {
  readonly requests: string;
  readonly rounds: string;
  readonly warmup: string;
  readonly policy: string;
  readonly data: string;
  readonly 'skip-long': boolean;
}): InProcessRunOptions {
  return {
    requests: integerOption('requests', values.requests, 1),
    rounds: integerOption('rounds', values.rounds, 1),
    warmup: integerOption('warmup', values.warmup, 0),
    policy: values.policy,
    data: values.data,
    skipLong: values['skip-long'],
  };
}
