// OpenTelemetry setup: the router's tracer (direct-tracer.ts) when tracing is enabled, the SDK's meter provider when
// some metric reader is, both built from the standard OTEL_* variables. Nothing is registered globally: the server and the policy
// store get this object. `noopTelemetry` (the default everywhere) creates no spans and records no metrics.
import { createNoopMeter } from '@opentelemetry/api';
import type { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AggregatedMetrics } from './aggregated-metrics.ts';
import { DirectTracer, spanLimitsFromEnv } from './direct-tracer.ts';
import { noopTelemetry, type Telemetry } from './noop-telemetry.ts';
import {
  isTrue,
  metricReadersFromEnv,
  resourceFromEnv,
  samplerFromEnv,
  traceSpanProcessorsFromEnv,
} from './otel-env.ts';
import { RouterMetrics } from './router-metrics.ts';
import { sdkMetrics } from './sdk-modules.ts';
import { INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION } from './semconv.ts';
import { RecordingStreamTelemetry } from './stream-telemetry.ts';

export { noopTelemetry, type Telemetry };

/**
 * A metric reader from any installed copy of @opentelemetry/sdk-metrics: exporters pin their own patch version
 * (exporter-prometheus 0.223.0 brings sdk-metrics 2.12.0 next to our 2.12.1), whose class is a different type.
 */
export type MetricReaderLike = Pick<
  MetricReader,
  | 'setMetricProducer'
  | 'selectAggregation'
  | 'selectAggregationTemporality'
  | 'collect'
  | 'forceFlush'
  | 'shutdown'
>;

export interface TelemetryOptions {
  /** Where OTEL_* variables are read; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Extra metric readers, e.g. the admin server's PrometheusExporter, each built with `aggregatedMetrics` among its
   * `metricProducers`: the per-request instruments are aggregated outside the SDK (aggregated-metrics.ts).
   */
  readonly metricReaders?: readonly MetricReaderLike[];
  /** The producer the `metricReaders` were built with; a new one when absent. */
  readonly aggregatedMetrics?: AggregatedMetrics;
  /** Extra span processors (tests: SimpleSpanProcessor(InMemorySpanExporter)); any enables tracing. */
  readonly spanProcessors?: readonly SpanProcessor[];
  /**
   * Record prompt text (`gen_ai.input.messages`) on spans. Default: the
   * OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT variable, else off.
   */
  readonly recordPromptText?: boolean;
  /**
   * Upper bound of `shutdown()`, which flushes pending spans and metrics: an unreachable collector must not
   * hold up exit. Past it shutdown() rejects and what was not exported is dropped. Default 3000.
   */
  readonly shutdownTimeoutMs?: number;
}

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 3000;

/** `work`, or a rejection once `timeoutMs` has passed without it settling. */
function bounded(work: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`telemetry did not flush within ${timeoutMs} ms; unexported data is dropped`)),
      timeoutMs,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  const env = options.env ?? process.env;
  if (isTrue(env, 'OTEL_SDK_DISABLED')) return noopTelemetry;
  const spanProcessors = [...(options.spanProcessors ?? []), ...traceSpanProcessorsFromEnv(env)];
  const aggregated = options.aggregatedMetrics ?? new AggregatedMetrics();
  const readers = [
    ...((options.metricReaders ?? []) as MetricReader[]),
    ...metricReadersFromEnv(env, [aggregated]),
  ];
  if (spanProcessors.length === 0 && readers.length === 0) return noopTelemetry;

  const resource = resourceFromEnv(env);
  const tracer =
    spanProcessors.length > 0
      ? new DirectTracer({
          resource,
          scope: { name: INSTRUMENTATION_SCOPE, version: INSTRUMENTATION_VERSION },
          sampler: samplerFromEnv(env),
          processors: spanProcessors,
          limits: spanLimitsFromEnv(env),
        })
      : undefined;
  let meterProvider: MeterProvider | undefined;
  if (readers.length > 0) {
    const { MeterProvider } = sdkMetrics();
    meterProvider = new MeterProvider({ resource, readers });
  }
  const meter = meterProvider?.getMeter(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION) ?? createNoopMeter();
  const metrics = new RouterMetrics(meter, aggregated);
  const recordPromptText =
    options.recordPromptText ?? isTrue(env, 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT');
  const deps = { metrics, metricsEnabled: meterProvider !== undefined, tracer, recordPromptText };
  let shutdown: Promise<void> | undefined;
  return {
    tracer: tracer ?? noopTelemetry.tracer,
    meter,
    metrics,
    tracingEnabled: tracer !== undefined,
    metricsEnabled: meterProvider !== undefined,
    recordPromptText,
    startStream: (metadata) => new RecordingStreamTelemetry(deps, tracer ? metadata : undefined),
    shutdown: () => {
      shutdown ??= bounded(
        Promise.all([tracer?.shutdown(), meterProvider?.shutdown()]).then(() => {}),
        options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
      );
      return shutdown;
    },
  };
}
