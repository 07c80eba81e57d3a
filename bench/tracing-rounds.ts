// The tracing variants of `npm run bench`, measured fairly: the router with tracing off and each tracing variant
// run in alternating rounds (off, 100 %, 10 % | 100 %, 10 %, off | …: each round rotates the order), every run
// with the same load, so drift of the machine over the run hits all of them alike. A variant's CPU per request
// pools its rounds (total CPU of the throughput phases over their requests), and so does tracing off's: that
// pooled router is the baseline of the tracing rows, not the router measured at the start of the run.
import { pooled } from './pooled-runs.ts';
import type { Measured } from './variants.ts';

export interface TracingVariant {
  readonly name: string;
  /** The sampler's OTEL_* variables. */
  readonly sampler: Readonly<Record<string, string>>;
}

// 100 % is the measurement; 10 % is what a fleet typically samples (parent-based ratio).
export const TRACING_VARIANTS: readonly TracingVariant[] = [
  { name: 'tracing', sampler: { OTEL_TRACES_SAMPLER: 'always_on' } },
  {
    name: 'tracing-10%',
    sampler: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  },
];

export const DEFAULT_TRACING_ROUNDS = 3;

export interface TracingRoundsResult {
  /** The router with tracing off, pooled over the rounds. */
  readonly baseline: Measured;
  readonly variants: readonly {
    readonly variant: TracingVariant;
    readonly measured: Measured;
    /** Extra CPU per request of each round against tracing off in the same round. */
    readonly roundExtras: readonly number[];
    readonly exportRequests: number;
    readonly exportBytes: number;
  }[];
}

/** One measured run; `env` undefined: tracing off. */
export type MeasureRun = (
  name: string,
  env: Readonly<Record<string, string>> | undefined,
) => Promise<Measured>;

export async function measureTracingRounds(options: {
  readonly rounds: number;
  /** OTEL_* variables of the exporter (endpoint, protocol) that every tracing variant shares. */
  readonly exporterEnv: Readonly<Record<string, string>>;
  readonly measure: MeasureRun;
  /** What the OTLP sink received so far. */
  readonly received: () => { requests: number; bytes: number };
}): Promise<TracingRoundsResult> {
  const runs: (TracingVariant | undefined)[] = [undefined, ...TRACING_VARIANTS];
  const measured = runs.map(() => [] as Measured[]);
  const exports = runs.map(() => ({ requests: 0, bytes: 0 }));
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < runs.length; k++) {
      const index = (round + k) % runs.length;
      const variant = runs[index];
      const env = variant && { ...options.exporterEnv, ...variant.sampler };
      const before = options.received();
      const run = await options.measure(`${variant?.name ?? 'router-off'} (round ${round + 1})`, env);
      const after = options.received();
      measured[index]?.push(run);
      const total = exports[index] as { requests: number; bytes: number };
      total.requests += after.requests - before.requests;
      total.bytes += after.bytes - before.bytes;
    }
  }
  const off = measured[0] as Measured[];
  return {
    baseline: pooled(off),
    variants: TRACING_VARIANTS.map((variant, i) => {
      const runsOfVariant = measured[i + 1] as Measured[];
      return {
        variant,
        measured: pooled(runsOfVariant),
        roundExtras: runsOfVariant.map(
          (run, round) => run.result.cpuUsPerRequest / (off[round] as Measured).result.cpuUsPerRequest - 1,
        ),
        exportRequests: exports[i + 1]?.requests ?? 0,
        exportBytes: exports[i + 1]?.bytes ?? 0,
      };
    }),
  };
}
