// Router variants measured in the same run as the heuristic router and compared with it: the ML policy (added
// latency, RSS, time to ready) and tracing sampled at 100 % (extra CPU per request).
import { fmt, table } from './format.ts';
import type { GeneratorResult, PhaseMeasurement } from './results.ts';

/** A load-generator result and how long its server took from spawn to accepting streams. */
export interface Measured {
  readonly result: GeneratorResult;
  readonly readyMs: number;
}

/** CPU µs per request of a measured run. */
export const cpuPerRequest = (m: Measured) => m.result.cpuUsPerRequest;

export interface VariantVerdict {
  readonly budget: string;
  readonly met: boolean;
  readonly detail: string;
}

export interface VariantSpec {
  readonly name: string;
  readonly description: string;
  /** Policy file the variant serves (default: the baseline's). */
  readonly policy?: string;
  /** Extra environment of the router process. */
  readonly env?: Readonly<Record<string, string>>;
  readonly verdicts: (baseline: Measured, variant: Measured) => VariantVerdict[];
}

export const ML_BUDGET = { addedP99Ms: 3, rssMiB: 250, readyMs: 1000 } as const;
export const TRACING_BUDGET = { cpuRatio: 1.15 } as const;
export const FEATURES_BUDGET = { cpuRatio: 1.3 } as const;
/** The router's own budget against the no-op (report.ts), applied to the policy without signals or decisions. */
export const FLOOR_BUDGET = { cpuRatio: 1.5 } as const;

function phase(result: GeneratorResult, name: string): PhaseMeasurement | undefined {
  return result.phases.find((candidate) => candidate.name === name);
}

const p50 = (m: Measured) => phase(m.result, 'c1')?.latency.p50Ms ?? Number.NaN;
const p99 = (m: Measured) => phase(m.result, 'c1')?.latency.p99Ms ?? Number.NaN;

export function mlVerdicts(baseline: Measured, variant: Measured): VariantVerdict[] {
  const added = p99(variant) - p99(baseline);
  const rss = Math.max(variant.result.rssMb, variant.result.peakRssMb);
  return [
    {
      budget: `added p99 at c=1 ≤ ${ML_BUDGET.addedP99Ms} ms`,
      met: added <= ML_BUDGET.addedP99Ms,
      detail: `${fmt(p99(variant), 2)} − ${fmt(p99(baseline), 2)} = ${fmt(added, 2)} ms (p50 ${fmt(
        p50(variant) - p50(baseline),
        2,
      )} ms)`,
    },
    {
      budget: `RSS ≤ ${ML_BUDGET.rssMiB} MiB`,
      met: rss <= ML_BUDGET.rssMiB,
      detail: `peak ${fmt(variant.result.peakRssMb, 1)} MiB, at end ${fmt(variant.result.rssMb, 1)} MiB`,
    },
    {
      budget: `ready ≤ ${ML_BUDGET.readyMs / 1000} s after start`,
      met: variant.readyMs <= ML_BUDGET.readyMs,
      detail: `${fmt(variant.readyMs)} ms from spawn to accepting streams (heuristic: ${fmt(baseline.readyMs)} ms)`,
    },
  ];
}

export function tracingVerdicts(baseline: Measured, variant: Measured): VariantVerdict[] {
  const ratio = variant.result.cpuUsPerRequest / baseline.result.cpuUsPerRequest;
  return [
    {
      budget: `CPU per request with tracing ≤ ${TRACING_BUDGET.cpuRatio}× without`,
      met: ratio <= TRACING_BUDGET.cpuRatio,
      detail: `${fmt(variant.result.cpuUsPerRequest)} µs vs ${fmt(baseline.result.cpuUsPerRequest)} µs = ${fmt(
        ratio,
        2,
      )}× (+${fmt((ratio - 1) * 100, 1)} %)`,
    },
  ];
}

export function featuresVerdicts(baseline: Measured, variant: Measured): VariantVerdict[] {
  const ratio = variant.result.cpuUsPerRequest / baseline.result.cpuUsPerRequest;
  return [
    {
      budget: `CPU per request with every feature on ≤ ${FEATURES_BUDGET.cpuRatio}× without`,
      met: ratio <= FEATURES_BUDGET.cpuRatio,
      detail: `${fmt(variant.result.cpuUsPerRequest)} µs vs ${fmt(baseline.result.cpuUsPerRequest)} µs = ${fmt(ratio, 2)}×`,
    },
  ];
}

/**
 * The policy without signals or decisions against the no-op and the router: when this floor alone misses the
 * router's budget, faster signals cannot meet it.
 */
export function floorVerdicts(noop: Measured): VariantSpec['verdicts'] {
  return (router, floor) => {
    const ratio = cpuPerRequest(floor) / cpuPerRequest(noop);
    const signalsShare =
      (cpuPerRequest(router) - cpuPerRequest(floor)) / (cpuPerRequest(router) - cpuPerRequest(noop));
    return [
      {
        budget: `CPU per request without signals or decisions ≤ ${FLOOR_BUDGET.cpuRatio}× the no-op's`,
        met: ratio <= FLOOR_BUDGET.cpuRatio,
        detail:
          `${fmt(cpuPerRequest(floor))} µs vs ${fmt(cpuPerRequest(noop))} µs = ${fmt(ratio, 2)}×; the signals and decisions add ` +
          `${fmt(cpuPerRequest(router) - cpuPerRequest(floor))} µs, ${fmt(signalsShare * 100)} % of the router's ` +
          `${fmt(cpuPerRequest(router) - cpuPerRequest(noop))} µs beyond the no-op`,
      },
    ];
  };
}

interface Row {
  readonly metric: string;
  readonly value: (m: Measured) => number | undefined;
  readonly digits: number;
}

function rows(baseline: Measured): Row[] {
  const throughput = baseline.result.phases.filter((p) => p.concurrency > 1);
  return [
    { metric: 'CPU per request, throughput phases (µs)', value: (m) => m.result.cpuUsPerRequest, digits: 0 },
    { metric: 'latency p50, c=1 (ms)', value: p50, digits: 3 },
    { metric: 'latency p99, c=1 (ms)', value: p99, digits: 3 },
    ...throughput.map((p) => ({
      metric: `throughput, c=${p.concurrency} (req/s)`,
      value: (m: Measured) => phase(m.result, p.name)?.requestsPerSecond,
      digits: 0,
    })),
    { metric: 'RSS at end (MiB)', value: (m) => m.result.rssMb, digits: 1 },
    { metric: 'peak RSS (MiB)', value: (m) => m.result.peakRssMb, digits: 1 },
    { metric: 'ready after spawn (ms)', value: (m) => m.readyMs, digits: 0 },
  ];
}

/** The variant next to the heuristic router: absolute figures, difference and ratio, then its budgets. */
export function formatVariant(spec: VariantSpec, baseline: Measured, variant: Measured): string {
  const body = rows(baseline).map((row) => {
    const a = row.value(baseline);
    const b = row.value(variant);
    const known = a !== undefined && b !== undefined;
    return [
      row.metric,
      fmt(a, row.digits),
      fmt(b, row.digits),
      known ? `${b - a >= 0 ? '+' : ''}${fmt(b - a, row.digits)}` : '-',
      known && a !== 0 ? `${fmt(b / a, 2)}×` : '-',
    ];
  });
  const lines = [
    '',
    `${spec.name}: ${spec.description}`,
    `  answers: ${Object.entries(variant.result.routedTo)
      .map(([model, count]) => `${model} ${fmt((count / Math.max(1, variant.result.requests)) * 100, 1)} %`)
      .join(', ')}; ${variant.result.errors} errors, ${variant.result.mismatches} wrong answers`,
    '',
    table(['metric', 'router', spec.name, 'difference', 'ratio'], body),
    '',
    'budgets:',
  ];
  for (const verdict of spec.verdicts(baseline, variant))
    lines.push(`  [${verdict.met ? 'met' : 'MISSED'}] ${verdict.budget}: ${verdict.detail}`);
  return `${lines.join('\n')}\n`;
}
