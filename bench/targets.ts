// The performance targets of one `npm run bench` run in one table: each figure, what it is compared with (the
// no-op server or the router itself, measured in the same run), the ratio, the target and whether it was met.
// The README's performance section is this table (see readme-section.ts).
import { fmt } from './format.ts';
import type { PhaseMeasurement } from './results.ts';
import { cpuPerRequest, type Measured } from './variants.ts';

export const TARGETS = {
  routerCpuRatio: 1.5,
  routerCpuStretch: 1.3,
  throughputRatio: 0.8,
  featuresCpuRatio: 1.3,
  tracingFull: 0.15,
  tracingSampled: 0.03,
  rssRatio: 1.5,
  idleRssMiB: 120,
  soakGrowthPercent: 5,
  readyDefaultMs: 500,
  readyMlMs: 1000,
  stallMs: 5,
} as const;

export interface StartupResult {
  /** Median spawn → ready of the default policy, and its RSS once idle. */
  readonly defaultReadyMs: number;
  readonly idleRssMiB: number;
  readonly mlReadyMs?: number;
}

export interface SoakResult {
  readonly seconds: number;
  readonly growthPercent: number;
}

export interface EventLoopResult {
  /** The router's own longest stall (time waiting for a core left out), the figure judged. */
  readonly maxStallMs: number;
  /** The longest event-loop delay as a timer saw it, waiting for a core included. */
  readonly maxWallStallMs: number;
  readonly largestBodyMiB: number;
}

export interface TargetInputs {
  readonly noop: Measured;
  readonly router: Measured;
  /** Router with every feature of the earlier issues on (features-policy.ts). */
  readonly features?: Measured;
  readonly tracing?: Measured;
  readonly tracing10?: Measured;
  /** The router with tracing off, measured in the tracing variants' rounds: their baseline (else `router`). */
  readonly tracingBaseline?: Measured;
  readonly ml?: Measured;
  readonly startup?: StartupResult;
  readonly soak?: SoakResult;
  readonly eventLoop?: EventLoopResult;
}

export interface TargetRow {
  readonly figure: string;
  readonly measured: string;
  readonly ratio: string;
  readonly target: string;
  /** undefined: not measured in this run. */
  readonly met: boolean | undefined;
}

function phase(measured: Measured, concurrency: number): PhaseMeasurement | undefined {
  return measured.result.phases.find((p) => p.concurrency === concurrency);
}

const peakRss = (m: Measured) => Math.max(m.result.rssMb, m.result.peakRssMb);

function ratioRow(
  figure: string,
  value: number,
  reference: number,
  unit: string,
  digits: number,
  target: string,
  met: (ratio: number) => boolean,
): TargetRow {
  const ratio = value / reference;
  return {
    figure,
    measured: `${fmt(value, digits)} vs ${fmt(reference, digits)} ${unit}`,
    ratio: `${fmt(ratio, 2)}×`,
    target,
    met: Number.isFinite(ratio) ? met(ratio) : false,
  };
}

function extraCpuRow(
  figure: string,
  variant: Measured | undefined,
  router: Measured,
  limit: number,
): TargetRow {
  if (!variant) return notMeasured(figure, `≤ +${limit * 100} % CPU`, '--variants tracing');
  const extra = cpuPerRequest(variant) / cpuPerRequest(router) - 1;
  return {
    figure,
    measured: `${fmt(cpuPerRequest(variant))} vs ${fmt(cpuPerRequest(router))} µs`,
    ratio: `${extra >= 0 ? '+' : ''}${fmt(extra * 100, 1)} %`,
    target: `≤ +${limit * 100} % CPU`,
    met: extra <= limit,
  };
}

function notMeasured(figure: string, target: string, how: string): TargetRow {
  return { figure, measured: `not measured (${how})`, ratio: '-', target, met: undefined };
}

function absoluteRow(figure: string, value: number, unit: string, digits: number, limit: number): TargetRow {
  return {
    figure,
    measured: `${fmt(value, digits)} ${unit}`,
    ratio: '-',
    target: `≤ ${fmt(limit, digits)} ${unit}`,
    met: value <= limit,
  };
}

export function targetRows(inputs: TargetInputs): TargetRow[] {
  const { noop, router } = inputs;
  const rows: TargetRow[] = [
    ratioRow(
      'router CPU per request vs no-op (c=16+64)',
      cpuPerRequest(router),
      cpuPerRequest(noop),
      'µs',
      0,
      `≤ ${TARGETS.routerCpuRatio}× (stretch ${TARGETS.routerCpuStretch}×)`,
      (r) => r <= TARGETS.routerCpuRatio,
    ),
  ];
  const routerC64 = phase(router, 64);
  const noopC64 = phase(noop, 64);
  rows.push(
    routerC64 && noopC64
      ? ratioRow(
          'throughput at c=64 vs no-op',
          routerC64.requestsPerSecond,
          noopC64.requestsPerSecond,
          'req/s',
          0,
          `≥ ${TARGETS.throughputRatio}×`,
          (r) => r >= TARGETS.throughputRatio,
        )
      : notMeasured('throughput at c=64 vs no-op', `≥ ${TARGETS.throughputRatio}×`, 'BENCH_CONCURRENCY=64'),
  );
  rows.push(
    inputs.features
      ? ratioRow(
          // The cache stores nothing (features-policy.ts): every lookup misses an empty bucket, which skips the
          // embedding. A miss in a bucket holding answers embeds the last user turn as well.
          'CPU with every feature on vs router (cache empty, every lookup a miss)',
          cpuPerRequest(inputs.features),
          cpuPerRequest(router),
          'µs',
          0,
          `≤ ${TARGETS.featuresCpuRatio}×`,
          (r) => r <= TARGETS.featuresCpuRatio,
        )
      : notMeasured(
          'CPU with every feature on vs router',
          `≤ ${TARGETS.featuresCpuRatio}×`,
          '--variants features',
        ),
    extraCpuRow(
      'tracing, 100 % sampling',
      inputs.tracing,
      inputs.tracingBaseline ?? router,
      TARGETS.tracingFull,
    ),
    extraCpuRow(
      'tracing, 10 % parent-based sampling',
      inputs.tracing10,
      inputs.tracingBaseline ?? router,
      TARGETS.tracingSampled,
    ),
    ratioRow(
      'RSS under the 64-stream load vs no-op (peak)',
      peakRss(router),
      peakRss(noop),
      'MiB',
      0,
      `≤ ${TARGETS.rssRatio}×`,
      (r) => r <= TARGETS.rssRatio,
    ),
  );
  const { startup, soak, eventLoop } = inputs;
  rows.push(
    startup
      ? absoluteRow('idle RSS, default policy', startup.idleRssMiB, 'MiB', 0, TARGETS.idleRssMiB)
      : notMeasured('idle RSS, default policy', `≤ ${TARGETS.idleRssMiB} MiB`, '--variants startup'),
    soak
      ? {
          figure: `RSS growth over a ${fmt(soak.seconds / 60, 1)}-minute soak`,
          measured: `${soak.growthPercent >= 0 ? '+' : ''}${fmt(soak.growthPercent, 1)} %`,
          ratio: '-',
          target: `≤ ${TARGETS.soakGrowthPercent} %`,
          met: soak.growthPercent <= TARGETS.soakGrowthPercent,
        }
      : notMeasured('RSS growth over a 10-minute soak', `≤ ${TARGETS.soakGrowthPercent} %`, '--soak 600'),
    startup
      ? absoluteRow(
          'ready after spawn, default policy',
          startup.defaultReadyMs,
          'ms',
          0,
          TARGETS.readyDefaultMs,
        )
      : notMeasured(
          'ready after spawn, default policy',
          `≤ ${TARGETS.readyDefaultMs} ms`,
          '--variants startup',
        ),
    startup?.mlReadyMs !== undefined
      ? absoluteRow('ready after spawn, ML policy', startup.mlReadyMs, 'ms', 0, TARGETS.readyMlMs)
      : notMeasured('ready after spawn, ML policy', `≤ ${TARGETS.readyMlMs} ms`, '--variants startup'),
    eventLoop
      ? {
          ...absoluteRow(
            `longest event-loop stall, bodies up to ${fmt(eventLoop.largestBodyMiB)} MiB`,
            eventLoop.maxStallMs,
            'ms',
            1,
            TARGETS.stallMs,
          ),
          measured: `${fmt(eventLoop.maxStallMs, 1)} ms own (${fmt(eventLoop.maxWallStallMs, 1)} ms wall)`,
        }
      : notMeasured(
          'longest event-loop stall, bodies up to 8 MiB',
          `≤ ${TARGETS.stallMs} ms`,
          '--variants event-loop',
        ),
  );
  return rows;
}

const verdict = (met: boolean | undefined) => (met === undefined ? '-' : met ? 'met' : 'MISSED');

/** The rows as a Markdown table (what the README shows). */
export function formatTargets(rows: readonly TargetRow[]): string {
  const cells = rows.map((row) => [row.figure, row.measured, row.ratio, row.target, verdict(row.met)]);
  const header = ['figure', 'measured (this run)', 'ratio', 'target', ''];
  const lines = [header, header.map(() => '---'), ...cells].map((cols) => `| ${cols.join(' | ')} |`);
  return lines.join('\n');
}
