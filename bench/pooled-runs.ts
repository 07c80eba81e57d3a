// Several runs of one server as one measurement: `npm run bench` alternates the no-op with the router, and the
// router without tracing with each tracing variant, so that a slower spell of the machine hits every side alike.
import type { PhaseMeasurement } from './results.ts';
import type { Measured } from './variants.ts';

const throughputCpu = (measured: Measured) => {
  const phases = measured.result.phases.filter((phase) => phase.concurrency > 1);
  return {
    cpuMs: phases.reduce((sum, phase) => sum + phase.serverCpuMs, 0),
    requests: phases.reduce((sum, phase) => sum + phase.requests, 0),
  };
};

/**
 * The runs as one: the last run's figures (latency, RSS, CPU shares), with CPU per request over all runs'
 * throughput phases, and each phase's throughput and CPU per request over that phase in every run.
 */
export function pooled(runs: readonly Measured[]): Measured {
  const last = runs.at(-1);
  if (!last) throw new Error('no run to pool');
  let cpuMs = 0;
  let requests = 0;
  for (const run of runs) {
    const figures = throughputCpu(run);
    cpuMs += figures.cpuMs;
    requests += figures.requests;
  }
  const phases = last.result.phases.map((phase): PhaseMeasurement => {
    const same = runs.flatMap((run) => run.result.phases.filter((p) => p.name === phase.name));
    const total = (field: 'requests' | 'seconds' | 'serverCpuMs') =>
      same.reduce((sum, p) => sum + p[field], 0);
    return {
      ...phase,
      requestsPerSecond: total('requests') / Math.max(Number.MIN_VALUE, total('seconds')),
      serverCpuUsPerRequest: (total('serverCpuMs') * 1000) / Math.max(1, total('requests')),
    };
  });
  const counts = (field: 'problems' | 'routedTo') => {
    const merged: Record<string, number> = {};
    for (const run of runs)
      for (const [key, count] of Object.entries(run.result[field])) merged[key] = (merged[key] ?? 0) + count;
    return merged;
  };
  const sum = (field: 'requests' | 'errors' | 'mismatches') =>
    runs.reduce((total, run) => total + run.result[field], 0);
  return {
    ...last,
    result: {
      ...last.result,
      phases,
      cpuUsPerRequest: (cpuMs * 1000) / Math.max(1, requests),
      // Every run's errors count: a failure in an earlier round must not hide behind the last run.
      requests: sum('requests'),
      errors: sum('errors'),
      mismatches: sum('mismatches'),
      problems: counts('problems'),
      routedTo: counts('routedTo'),
      peakRssMb: Math.max(...runs.map((run) => run.result.peakRssMb)),
    },
  };
}
