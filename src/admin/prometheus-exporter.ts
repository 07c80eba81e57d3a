// The Prometheus metric reader behind the admin server's /metrics (it opens no port of its own).
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { MetricsHandler } from './admin-server.ts';

export interface PrometheusMetrics {
  /** Pass to the MeterProvider (createTelemetry's `metricReaders`). */
  readonly reader: MetricReader;
  readonly handler: MetricsHandler;
}

export function createPrometheusMetrics(): PrometheusMetrics {
  // preventServerStart: the exporter would otherwise open its own port 9464.
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  return {
    reader: exporter,
    handler: (request, response) => exporter.getMetricsRequestHandler(request, response),
  };
}
