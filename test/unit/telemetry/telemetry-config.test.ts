// OTEL_* configuration read from a given environment: sampler, resource, exporters, and the no-op default.
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as HttpProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import {
  metricReadersFromEnv,
  resourceFromEnv,
  samplerFromEnv,
  traceExportersFromEnv,
  traceSpanProcessorsFromEnv,
} from '../../../src/telemetry/otel-env.ts';
import { OtlpProtoSpanProcessor } from '../../../src/telemetry/otlp-span-processor.ts';
import { NOOP_STREAM_TELEMETRY } from '../../../src/telemetry/stream-telemetry.ts';
import { createTelemetry, noopTelemetry } from '../../../src/telemetry/telemetry.ts';

describe('OTEL_* environment', () => {
  it.each([
    [{}, 'ParentBased{root=AlwaysOnSampler'],
    [{ OTEL_TRACES_SAMPLER: 'always_off' }, 'AlwaysOffSampler'],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }, 'TraceIdRatioBased{0.25}'],
    [
      { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
      'ParentBased{root=TraceIdRatioBased{0.1}',
    ],
  ])('sampler from %o', (env, expected) => {
    expect(samplerFromEnv(env).toString()).toContain(expected);
  });

  it('rejects an unknown sampler and an out-of-range ratio', () => {
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(
      /OTEL_TRACES_SAMPLER=sometimes/,
    );
    expect(() =>
      samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }),
    ).toThrow(/outside \[0, 1\]/);
  });

  it('resource: OTEL_SERVICE_NAME over OTEL_RESOURCE_ATTRIBUTES, values percent-decoded', () => {
    expect(resourceFromEnv({}).attributes['service.name']).toBe('semantic-router');
    const resource = resourceFromEnv({
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,deployment.environment.name=prod%20eu',
    });
    expect(resource.attributes).toMatchObject({
      'service.name': 'from-attrs',
      'deployment.environment.name': 'prod eu',
    });
    expect(
      resourceFromEnv({ OTEL_SERVICE_NAME: 'router-a', OTEL_RESOURCE_ATTRIBUTES: 'service.name=b' })
        .attributes['service.name'],
    ).toBe('router-a');
  });

  it('trace exporters: none unless OTEL_TRACES_EXPORTER says otlp; protocol picks gRPC or HTTP', async () => {
    expect(traceExportersFromEnv({})).toEqual([]);
    expect(traceExportersFromEnv({ OTEL_TRACES_EXPORTER: 'none' })).toEqual([]);
    const [grpc] = traceExportersFromEnv({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317',
    });
    expect(grpc).toBeInstanceOf(GrpcTraceExporter);
    const [http] = traceExportersFromEnv({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
    });
    expect(http).toBeInstanceOf(HttpProtoTraceExporter);
    const [json] = traceExportersFromEnv({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    expect(json).toBeInstanceOf(HttpJsonTraceExporter);
    await Promise.all([grpc?.shutdown(), http?.shutdown(), json?.shutdown()]);
    expect(() => traceExportersFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/zipkin/);
    expect(() =>
      traceExportersFromEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' }),
    ).toThrow(/thrift/);
  });

  it('span processors: the router’s own for OTLP over http/protobuf, the SDK’s batch processor otherwise', async () => {
    expect(traceSpanProcessorsFromEnv({})).toEqual([]);
    const [proto] = traceSpanProcessorsFromEnv({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
    });
    expect(proto).toBeInstanceOf(OtlpProtoSpanProcessor);
    const [grpc, printed] = traceSpanProcessorsFromEnv({
      OTEL_TRACES_EXPORTER: 'otlp,console',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    });
    expect(grpc).toBeInstanceOf(BatchSpanProcessor);
    expect(printed).toBeInstanceOf(BatchSpanProcessor);
    await Promise.all([proto?.shutdown(), grpc?.shutdown(), printed?.shutdown()]);
    expect(() =>
      traceSpanProcessorsFromEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli' }),
    ).toThrow(/brotli/);
    expect(() =>
      traceSpanProcessorsFromEnv({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_CERTIFICATE: '/nonexistent/ca.pem',
      }),
    ).toThrow(/OTEL_EXPORTER_OTLP_CERTIFICATE=\/nonexistent\/ca.pem cannot be read/);
  });

  it('metric readers: OTLP push only when OTEL_METRICS_EXPORTER includes otlp; prometheus is the caller’s', async () => {
    expect(metricReadersFromEnv({ OTEL_METRICS_EXPORTER: 'prometheus' })).toEqual([]);
    const readers = metricReadersFromEnv({
      OTEL_METRICS_EXPORTER: 'prometheus,otlp',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
    });
    expect(readers).toHaveLength(1);
    await Promise.all(readers.map((r) => r.shutdown()));
  });
});

describe('createTelemetry', () => {
  it('is off by default: no spans, no metrics, the no-op stream telemetry', async () => {
    const telemetry = createTelemetry({ env: {} });
    expect(telemetry.tracingEnabled).toBe(false);
    expect(telemetry.metricsEnabled).toBe(false);
    expect(telemetry.recordPromptText).toBe(false);
    expect(telemetry.startStream()).toBe(NOOP_STREAM_TELEMETRY);
    expect(noopTelemetry.startStream()).toBe(NOOP_STREAM_TELEMETRY);
    await telemetry.shutdown();
  });

  it('OTEL_SDK_DISABLED=true wins over everything', () => {
    const telemetry = createTelemetry({
      env: { OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' },
      spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
    });
    expect(telemetry).toBe(noopTelemetry);
  });

  it('enables tracing from OTEL_TRACES_EXPORTER=otlp, prompt recording from the GenAI capture variable', async () => {
    const telemetry = createTelemetry({
      env: {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
      },
    });
    expect(telemetry.tracingEnabled).toBe(true);
    expect(telemetry.metricsEnabled).toBe(false);
    expect(telemetry.recordPromptText).toBe(true);
    await telemetry.shutdown();
  });
});
