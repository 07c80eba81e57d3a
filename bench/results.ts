// Result shapes the load generator prints as JSON and the orchestrator reads.
import type { WorkloadSummary } from './workload.ts';

export interface LatencySummary {
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface PhaseMeasurement {
  readonly name: string;
  readonly concurrency: number;
  readonly requests: number;
  readonly failures: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly latency: LatencySummary;
  /** CPU time the server process used during the phase. */
  readonly serverCpuMs: number;
  readonly serverCpuUsPerRequest: number;
  /** Server CPU time / wall time, in percent of one core. */
  readonly serverCpuPercent: number;
  /** The load generator's own CPU time / wall time, in percent of one core. */
  readonly generatorCpuPercent: number;
  readonly generatorCpuUsPerRequest: number;
  /** CPU the rest of the machine used meanwhile (other processes, kernel threads), in percent of one core. */
  readonly otherCpuPercent: number;
}

export interface GeneratorResult {
  readonly target: string;
  readonly verify: string;
  readonly serverPid: number;
  /** The client that played Envoy: grpc-js or http2 (hand-framed gRPC). */
  readonly client: string;
  readonly channels: number;
  /** Load-generator worker threads. */
  readonly threads: number;
  readonly cores: number;
  readonly workload: WorkloadSummary;
  readonly phases: readonly PhaseMeasurement[];
  /** Server CPU per completed request over the throughput phases (concurrency > 1), in microseconds. */
  readonly cpuUsPerRequest: number;
  readonly rssMb: number;
  readonly peakRssMb: number;
  readonly requests: number;
  readonly errors: number;
  readonly mismatches: number;
  /** Problem description → count (descriptions carry no prompt text). */
  readonly problems: Readonly<Record<string, number>>;
  /** Where the router sent the measured requests: x-selected-model (or `rejected:<status>`) → count. */
  readonly routedTo: Readonly<Record<string, number>>;
}

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank] as number;
}

export function summarizeLatency(durationsMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(durationsMs).sort();
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    meanMs: sorted.length ? total / sorted.length : Number.NaN,
    p50Ms: percentile(sorted, 0.5),
    p90Ms: percentile(sorted, 0.9),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}
