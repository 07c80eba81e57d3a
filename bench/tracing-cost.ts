// What tracing costs the router, in process: the StreamProcessor driven through the four ext_proc phases of the
// benchmark's request mix (bench/workload.ts, from ../shared/data) with the default policy, once per variant —
// tracing off, 100 % sampling, 10 % parent-based sampling — in interleaved rounds (the variants' order changes).
// Spans go through the real span processor and OTLP/HTTP (protobuf) export, set up from OTEL_* variables as
// `serve` sets them up, to the do-nothing sink in a child process (its CPU is not counted). Metrics are on in
// every variant (a Prometheus reader, as `serve` has). Each variant keeps one telemetry for the whole run (warmed
// up, as a serving router's is); CPU is process.cpuUsage() over each block of requests, including the flush of
// the block's last spans; young-generation collections run within the block that made the garbage. (A forced
// full collection per block would cost more than the requests: the default policy's heap holds the language
// detector's tables.) The main thread's share is read apart (thread-cpu.ts): the rest is V8's helper threads.
// Targets: 100 % ≤ +15 %, 10 % ≤ +3 % router CPU per request vs tracing off.
// Usage: node --import tsx bench/tracing-cost.ts [--requests 400] [--rounds 8] [--warmup 3000]
//        [--policy policies/default.yaml] [--data ../shared/data] [--skip-long] [--json]
//        [--variants '100%,unsampled,10% parent-based'] (tracing off is always measured: the baseline)
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPrometheusMetrics } from '../src/admin/prometheus-exporter.ts';
import type { HeaderPair } from '../src/mutations.ts';
import type { RoutedRequest } from '../src/pipeline.ts';
import { createRequestRouter, type RequestRouter } from '../src/pipeline.ts';
import { loadPolicyFile } from '../src/policy/load-policy.ts';
import type { AnswerSummary } from '../src/response/response-tracker.ts';
import { AggregatedMetrics } from '../src/telemetry/aggregated-metrics.ts';
import { traceSpanProcessorsFromEnv } from '../src/telemetry/otel-env.ts';
import type { RouteRecord } from '../src/telemetry/route-record.ts';
import type { StreamTelemetry } from '../src/telemetry/stream-telemetry.ts';
import { createTelemetry, type Telemetry } from '../src/telemetry/telemetry.ts';
import { runBenchMain } from './child-processes.ts';
import { IN_PROCESS_OPTIONS, type InProcessRunOptions, inProcessRun } from './cli-options.ts';
import { REPO_ROOT } from './ext-proc-proto.ts';
import { fmt, table } from './format.ts';
import { driveExchange, type Exchange, loadExchanges } from './in-process-exchange.ts';
import { roundOrder } from './round-order.ts';
import { mainThreadCpuUs } from './thread-cpu.ts';

export const TRACING_TARGETS = { full: 0.15, sampled10: 0.03 } as const;

export interface TracingCostOptions extends InProcessRunOptions {
  /** Names of the tracing variants to measure besides `off` (default all: 100%, unsampled, 10% parent-based). */
  readonly variants?: readonly string[];
}

export interface VariantCost {
  readonly name: string;
  readonly env: Readonly<Record<string, string>>;
  /** CPU µs per request over all rounds. */
  readonly cpuUsPerRequest: number;
  /** Median over rounds of this variant's CPU / tracing off's CPU in the same round. */
  readonly medianRatio: number;
  /** Ratio of the totals. */
  readonly ratio: number;
  /** OTLP bytes and export requests the sink received, per request. */
  readonly exportBytesPerRequest: number;
  readonly exportRequests: number;
  /** CPU µs per request of the main thread alone over all rounds (undefined without /proc). */
  readonly mainThreadUsPerRequest: number | undefined;
  /** Median CPU µs per request of the telemetry alone (recorded calls replayed), minus tracing off's. */
  readonly telemetryAloneUs: number;
}

export interface TracingCost {
  readonly requestsPerVariant: number;
  readonly variants: readonly VariantCost[];
}

interface Variant {
  readonly name: string;
  /** OTEL_* variables; undefined: tracing off. */
  readonly env: Readonly<Record<string, string>> | undefined;
}

const ALL_VARIANTS: readonly Variant[] = [
  { name: 'off', env: undefined },
  { name: '100%', env: { OTEL_TRACES_SAMPLER: 'always_on' } },
  // What every unsampled request pays: the sampler's decision and the traceparent sent upstream.
  { name: 'unsampled', env: { OTEL_TRACES_SAMPLER: 'always_off' } },
  {
    name: '10% parent-based',
    env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  },
];

/** One stream's telemetry calls, recorded once and replayed on each variant without routing again. */
class CallRecorder implements StreamTelemetry {
  readonly calls: ((telemetry: StreamTelemetry) => void)[] = [];
  requestHeaders(method: string, path: string, headers: ReadonlyMap<string, string>): readonly HeaderPair[] {
    const copy = new Map(headers);
    this.calls.push((t) => t.requestHeaders(method, path, copy));
    return [];
  }
  answered(responsePath: 'local' | 'passthrough'): void {
    this.calls.push((t) => t.answered(responsePath));
  }
  routed(record: RouteRecord, routed: RoutedRequest): void {
    this.calls.push((t) => t.routed(record, routed));
  }
  failed(error: unknown, record: RouteRecord | undefined, failOpen: boolean): void {
    this.calls.push((t) => t.failed(error, record, failOpen));
  }
  responseHeaders(status: number | undefined, streaming: boolean): void {
    this.calls.push((t) => t.responseHeaders(status, streaming));
  }
  responseEnd(): void {
    this.calls.push((t) => t.responseEnd());
  }
  answer(summary: AnswerSummary, pool: string): void {
    this.calls.push((t) => t.answer(summary, pool));
  }
  close(streamFailed: boolean): void {
    this.calls.push((t) => t.close(streamFailed));
  }
  logFields(): Readonly<Record<string, string>> {
    return {};
  }
}

/** CPU µs of replaying `streams` on the variant's telemetry, including the export. */
async function replayBlock(variant: VariantTelemetry, streams: readonly CallRecorder[]): Promise<number> {
  const before = process.cpuUsage();
  for (const stream of streams) {
    const telemetry = variant.telemetry.startStream();
    for (const call of stream.calls) call(telemetry);
  }
  await variant.flush();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

interface Sink {
  readonly tracesUrl: string;
  received(): Promise<{ requests: number; bytes: number }>;
  stop(): void;
}

async function startSinkProcess(): Promise<Sink> {
  const child: ChildProcess = fork(
    path.join(path.dirname(fileURLToPath(import.meta.url)), 'otlp-sink-process.ts'),
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  const tracesUrl = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { tracesUrl: string }).tracesUrl));
    child.once('exit', (code) => reject(new Error(`OTLP sink exited (${code}) before listening`)));
  });
  return {
    tracesUrl,
    received: () =>
      new Promise((resolve) => {
        child.once('message', (message) => resolve(message as { requests: number; bytes: number }));
        child.send('received');
      }),
    stop: () => child.disconnect(),
  };
}

interface VariantTelemetry {
  readonly telemetry: Telemetry;
  /** Exports what the batch holds and waits for the sink's answer. */
  flush(): Promise<void>;
}

/**
 * The variant's telemetry, built as createTelemetry builds it from OTEL_* variables (same exporter, batch settings
 * and sampler), except that the bench holds the span processor to flush it at the end of each block.
 */
function telemetryFor(variant: Variant, tracesUrl: string): VariantTelemetry {
  // As `serve` builds it: the per-request instruments reach the reader through the aggregated metrics.
  const aggregatedMetrics = new AggregatedMetrics();
  const metrics = { metricReaders: [createPrometheusMetrics([aggregatedMetrics]).reader], aggregatedMetrics };
  if (!variant.env) return { telemetry: createTelemetry({ env: {}, ...metrics }), flush: async () => {} };
  const env = {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: tracesUrl,
    // A block runs without an event-loop turn, so no export finishes during it: with the default queue bound (2,048
    // spans) a 100 % block dropped most of its spans, and their cost, where a serving router exports them all.
    OTEL_BSP_MAX_QUEUE_SIZE: '1000000',
    ...variant.env,
  };
  const [processor] = traceSpanProcessorsFromEnv(env);
  if (!processor) throw new Error('no span processor from the OTEL_* variables');
  const { OTEL_TRACES_EXPORTER: _exporterBuiltHere, ...samplerEnv } = env;
  return {
    telemetry: createTelemetry({ env: samplerEnv, ...metrics, spanProcessors: [processor] }),
    flush: () => processor.forceFlush(),
  };
}

/** CPU µs of one block of `exchanges`, including the export of the block's spans: all threads, main thread. */
async function block(
  router: RequestRouter,
  variant: VariantTelemetry,
  exchanges: readonly Exchange[],
): Promise<{ process: number; mainThread: number | undefined }> {
  const before = process.cpuUsage();
  const mainBefore = mainThreadCpuUs();
  for (const exchange of exchanges) await driveExchange(router, variant.telemetry.startStream(), exchange);
  await variant.flush();
  const used = process.cpuUsage(before);
  const mainAfter = mainThreadCpuUs();
  return {
    process: used.user + used.system,
    mainThread: mainBefore === undefined || mainAfter === undefined ? undefined : mainAfter - mainBefore,
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

export async function measureTracingCost(options: TracingCostOptions): Promise<TracingCost> {
  // Tracing off is always measured first in the list: it is the baseline of every ratio.
  const wanted = options.variants;
  const VARIANTS = ALL_VARIANTS.filter(
    (variant) => variant.env === undefined || wanted === undefined || wanted.includes(variant.name),
  );
  const exchanges = loadExchanges(
    path.resolve(REPO_ROOT, options.data),
    Math.max(options.requests, 1000),
    options.seed ?? 42,
    options.skipLong ?? false,
  );
  const policy = await loadPolicyFile(path.resolve(REPO_ROOT, options.policy));
  const sink = await startSinkProcess();
  try {
    const router = createRequestRouter(policy);
    const telemetries = VARIANTS.map((variant) => telemetryFor(variant, sink.tracesUrl));
    for (const variant of telemetries) {
      for (let i = 0; i < options.warmup; i++)
        await driveExchange(
          router,
          variant.telemetry.startStream(),
          exchanges[i % exchanges.length] as Exchange,
        );
      await variant.flush();
    }
    const cpu = VARIANTS.map(() => [] as number[]);
    const mainThread = VARIANTS.map((): number | undefined => 0);
    const bytes = VARIANTS.map(() => 0);
    const exports = VARIANTS.map(() => 0);
    for (let round = 0; round < options.rounds; round++) {
      // Every variant of a round routes the same requests; the order of the variants changes (round-order.ts).
      const offset = (round * options.requests) % exchanges.length;
      const slice = Array.from(
        { length: options.requests },
        (_, i) => exchanges[(offset + i) % exchanges.length] as Exchange,
      );
      for (const index of roundOrder(round, VARIANTS.length)) {
        const before = await sink.received();
        const used = await block(router, telemetries[index] as VariantTelemetry, slice);
        cpu[index]?.push(used.process);
        const main = mainThread[index];
        mainThread[index] =
          main === undefined || used.mainThread === undefined ? undefined : main + used.mainThread;
        const after = await sink.received();
        bytes[index] = (bytes[index] ?? 0) + after.bytes - before.bytes;
        exports[index] = (exports[index] ?? 0) + after.requests - before.requests;
      }
    }
    // The telemetry alone: each request's recorded calls replayed, without the routing around them.
    const recorded = exchanges.slice(0, options.requests).map(() => new CallRecorder());
    for (let i = 0; i < recorded.length; i++)
      await driveExchange(router, recorded[i] as CallRecorder, exchanges[i] as Exchange);
    const alone = VARIANTS.map(() => [] as number[]);
    for (let round = 0; round < options.rounds + 2; round++) {
      for (const index of roundOrder(round, VARIANTS.length)) {
        const used = await replayBlock(telemetries[index] as VariantTelemetry, recorded);
        if (round >= 2) alone[index]?.push(used / recorded.length);
      }
    }
    for (const variant of telemetries) await variant.telemetry.shutdown();
    const aloneOff = median(alone[0] as number[]);
    const requests = options.requests * options.rounds;
    const offCpu = cpu[0] as number[];
    const offTotal = offCpu.reduce((a, b) => a + b, 0);
    return {
      requestsPerVariant: requests,
      variants: VARIANTS.map((variant, index) => {
        const samples = cpu[index] as number[];
        const total = samples.reduce((a, b) => a + b, 0);
        return {
          name: variant.name,
          env: variant.env ?? {},
          cpuUsPerRequest: total / requests,
          ratio: total / offTotal,
          medianRatio: median(samples.map((value, round) => value / (offCpu[round] as number))),
          mainThreadUsPerRequest:
            mainThread[index] === undefined ? undefined : (mainThread[index] as number) / requests,
          exportBytesPerRequest: (bytes[index] ?? 0) / requests,
          exportRequests: exports[index] ?? 0,
          telemetryAloneUs: median(alone[index] as number[]) - aloneOff,
        };
      }),
    };
  } finally {
    sink.stop();
    await policy.close();
  }
}

function verdict(variant: VariantCost): string {
  const target =
    variant.name === '100%'
      ? TRACING_TARGETS.full
      : variant.name.startsWith('10%')
        ? TRACING_TARGETS.sampled10
        : undefined;
  if (target === undefined) return '';
  const extra = variant.medianRatio - 1;
  return `${extra <= target ? 'ok' : 'MISSED'} (≤ +${target * 100} %)`;
}

export function formatTracingCost(result: TracingCost): string {
  const rows = result.variants.map((v) => [
    v.name,
    fmt(v.cpuUsPerRequest, 1),
    v.mainThreadUsPerRequest === undefined ? '-' : fmt(v.mainThreadUsPerRequest, 0),
    `${fmt((v.ratio - 1) * 100, 1)} %`,
    `${fmt((v.medianRatio - 1) * 100, 1)} %`,
    fmt(v.exportBytesPerRequest, 0),
    fmt(v.exportRequests),
    fmt(v.telemetryAloneUs, 1),
    verdict(v),
  ]);
  return [
    `tracing cost in process: ${fmt(result.requestsPerVariant)} requests per variant, interleaved rounds`,
    table(
      [
        'tracing',
        'CPU µs/request',
        'of which main thread',
        'extra (totals)',
        'extra (median round)',
        'OTLP bytes/req',
        'exports',
        'telemetry alone, extra µs',
        'target',
      ],
      rows,
    ),
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...IN_PROCESS_OPTIONS,
      variants: { type: 'string' },
    },
  });
  const result = await measureTracingCost({
    ...inProcessRun(values),
    ...(values.variants !== undefined && { variants: values.variants.split(',').map((name) => name.trim()) }),
  });
  process.stdout.write(`${values.json ? JSON.stringify(result, null, 2) : formatTracingCost(result)}\n`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await runBenchMain('tracing-cost', main);
