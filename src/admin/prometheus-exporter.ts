// The Prometheus metric reader behind the admin server's /metrics (it opens no port of its own).
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { MetricProducer, MetricReader } from '@opentelemetry/sdk-metrics';
import type { MetricsHandler } from './admin-server.ts';

export interface PrometheusMetrics {
  /** Pass to the MeterProvider (what createTelemetry's `metricReaders` returns). */
  readonly reader: MetricReader;
  readonly handler: MetricsHandler;
}

/** `producers`: createTelemetry's (the router's per-request instruments). */
export function createPrometheusMetrics(producers: readonly MetricProducer[] = []): PrometheusMetrics {
  // preventServerStart: the exporter would otherwise open its own port 9464.
  const exporter = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    metricProducers: [...producers],
  });
  return {
    reader: exporter,
    handler: (request, response) => exporter.getMetricsRequestHandler(request, response),
  };
}
