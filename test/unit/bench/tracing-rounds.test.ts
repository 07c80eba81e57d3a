// The bench's tracing variants: measured in rounds alternating with the router without tracing, CPU pooled over
// the rounds, and judged against that router rather than the one measured at the start of the run.
import { describe, expect, it } from 'vitest';
import { pooled } from '../../../bench/pooled-runs.ts';
import type { GeneratorResult } from '../../../bench/results.ts';
import { targetRows } from '../../../bench/targets.ts';
import { measureTracingRounds } from '../../../bench/tracing-rounds.ts';
import type { Measured } from '../../../bench/variants.ts';

/** A run whose throughput phases used `cpuMs` for `requests` (a c=1 phase that must not count). */
function run(cpuMs: number, requests: number): Measured {
  const result = {
    cpuUsPerRequest: (cpuMs * 1000) / requests,
    rssMb: 100,
    peakRssMb: 100,
    requests,
    errors: 0,
    mismatches: 0,
    problems: {},
    routedTo: {},
    phases: [
      { name: 'c1', concurrency: 1, serverCpuMs: 999, requests: 10, seconds: 1 },
      { name: 'c64', concurrency: 64, serverCpuMs: cpuMs, requests, seconds: 1 },
    ],
  } as unknown as GeneratorResult;
  return { result, readyMs: 300 };
}

function phasedRun(
  c64: { requests: number; seconds: number; serverCpuMs: number },
  { errors, peakRssMb }: { errors: number; peakRssMb: number },
): Measured {
  const result = {
    cpuUsPerRequest: (c64.serverCpuMs * 1000) / c64.requests,
    rssMb: 100,
    peakRssMb,
    requests: c64.requests,
    errors,
    mismatches: 0,
    problems: errors > 0 ? { 'stream reset': errors } : {},
    routedTo: { 'small-chat': c64.requests },
    phases: [{ name: 'c64', concurrency: 64, ...c64, requestsPerSecond: c64.requests / c64.seconds }],
  } as unknown as GeneratorResult;
  return { result, readyMs: 300 };
}

describe('tracing rounds', () => {
  it('rotates the order each round and pools each variant’s CPU over its rounds', async () => {
    const order: string[] = [];
    // The machine slows down over the run: the later a run, the more CPU per request.
    const cpuOf = (name: string, position: number) =>
      (name.startsWith('router-off') ? 100 : name.startsWith('tracing-10%') ? 102 : 110) + position * 10;
    let exported = 0;
    const result = await measureTracingRounds({
      rounds: 3,
      exporterEnv: { OTEL_TRACES_EXPORTER: 'otlp' },
      measure: async (name, env) => {
        if (name.startsWith('router-off')) expect(env).toBeUndefined();
        else
          expect(env).toMatchObject({
            OTEL_TRACES_EXPORTER: 'otlp',
            OTEL_TRACES_SAMPLER: expect.any(String),
          });
        if (env) exported += 1;
        order.push(name);
        return run(cpuOf(name, order.length - 1) * 1000, 1_000_000);
      },
      received: () => ({ requests: exported, bytes: exported * 100 }),
    });
    expect(order).toEqual([
      'router-off (round 1)',
      'tracing (round 1)',
      'tracing-10% (round 1)',
      'tracing (round 2)',
      'tracing-10% (round 2)',
      'router-off (round 2)',
      'tracing-10% (round 3)',
      'router-off (round 3)',
      'tracing (round 3)',
    ]);
    // Each variant ran once in each position: the drift (+10 µs per run) is the same for all three.
    expect(result.baseline.result.cpuUsPerRequest).toBeCloseTo(100 + 40, 6);
    const [full, tenth] = result.variants;
    expect(full?.measured.result.cpuUsPerRequest).toBeCloseTo(110 + 40, 6);
    expect(tenth?.measured.result.cpuUsPerRequest).toBeCloseTo(102 + 40, 6);
    expect(full?.exportRequests).toBe(3);
    expect(full?.exportBytes).toBe(300);
    expect(full?.roundExtras).toHaveLength(3);
  });

  it('judges the tracing rows against the router measured in the rounds', () => {
    const rows = targetRows({
      noop: run(50, 1000),
      router: run(80, 1000),
      tracing: run(110, 1000),
      tracing10: run(101, 1000),
      tracingBaseline: run(100, 1000),
    });
    expect(rows.find((row) => row.figure.startsWith('tracing, 100 %'))).toMatchObject({
      measured: '110 vs 100 µs',
      ratio: '+10.0 %',
      met: true,
    });
    expect(rows.find((row) => row.figure.startsWith('tracing, 10 %'))).toMatchObject({
      ratio: '+1.0 %',
      met: true,
    });
  });

  it('pools CPU over the throughput phases of every run', () => {
    expect(pooled([run(100, 1000), run(300, 1000)]).result.cpuUsPerRequest).toBeCloseTo(200, 6);
    expect(() => pooled([])).toThrow(/no run/);
  });

  it('pools each phase, and keeps every run’s errors, answers and peak RSS', () => {
    const first = phasedRun({ requests: 1000, seconds: 1, serverCpuMs: 100 }, { errors: 2, peakRssMb: 210 });
    const second = phasedRun({ requests: 3000, seconds: 2, serverCpuMs: 200 }, { errors: 0, peakRssMb: 190 });
    const result = pooled([first, second]).result;
    const c64 = result.phases.find((phase) => phase.name === 'c64');
    expect(c64?.requestsPerSecond).toBeCloseTo(4000 / 3, 6);
    expect(c64?.serverCpuUsPerRequest).toBeCloseTo(75, 6);
    expect(result).toMatchObject({
      requests: 4000,
      errors: 2,
      mismatches: 0,
      peakRssMb: 210,
      rssMb: 100,
      problems: { 'stream reset': 2 },
      routedTo: { 'small-chat': 4000 },
    });
  });
});
