// The telemetry that does nothing: the default of the server, the policy store and the app. It loads only
// @opentelemetry/api, so modules defaulting to it do not pull the SDK in.
import { createNoopMeter, type Meter, ProxyTracerProvider, type Tracer } from '@opentelemetry/api';
import { RouterMetrics } from './router-metrics.ts';
import { INSTRUMENTATION_SCOPE } from './semconv.ts';
import { NOOP_STREAM_TELEMETRY, type StreamTelemetry } from './stream-telemetry.ts';
import type { TraceCarrier } from './trace-context.ts';

export interface Telemetry {
  readonly tracer: Tracer;
  readonly meter: Meter;
  readonly metrics: RouterMetrics;
  readonly tracingEnabled: boolean;
  readonly metricsEnabled: boolean;
  readonly recordPromptText: boolean;
  /**
   * Telemetry of one new ext_proc stream. `metadata` reads the stream's gRPC metadata, the trace parent used
   * when the request carries no `traceparent` header (only consulted with tracing on).
   */
  startStream(metadata?: TraceCarrier): StreamTelemetry;
  /** Flushes and stops exporters and readers. */
  shutdown(): Promise<void>;
}

const meter = createNoopMeter();

export const noopTelemetry: Telemetry = {
  tracer: new ProxyTracerProvider().getTracer(INSTRUMENTATION_SCOPE),
  meter,
  metrics: new RouterMetrics(meter),
  tracingEnabled: false,
  metricsEnabled: false,
  recordPromptText: false,
  startStream: () => NOOP_STREAM_TELEMETRY,
  shutdown: async () => {},
};
