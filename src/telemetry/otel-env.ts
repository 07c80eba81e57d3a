// The standard OTEL_* environment variables, read from a given environment (not only process.env) so tests and
// embedders configure telemetry without touching the process: sampler, resource, OTLP exporters and batching.
import { readFileSync } from 'node:fs';
import type { Metadata } from '@grpc/grpc-js';
import type { Resource } from '@opentelemetry/resources';
import type { MetricProducer, MetricReader } from '@opentelemetry/sdk-metrics';
import type { BufferConfig, Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DEFAULT_OTLP_HTTP_TRACES_URL, DEFAULT_OTLP_TIMEOUT_MS, OtlpHttpSender } from './otlp-http-sender.ts';
import { OtlpProtoSpanProcessor } from './otlp-span-processor.ts';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from './samplers.ts';
import {
  grpc,
  otlpGrpcMetrics,
  otlpGrpcTrace,
  otlpHttpMetrics,
  otlpHttpTrace,
  otlpProtoMetrics,
  otlpProtoTrace,
  resources,
  sdkMetrics,
  sdkTrace,
} from './sdk-modules.ts';

export type Env = NodeJS.ProcessEnv;

export const DEFAULT_SERVICE_NAME = 'semantic-router';

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function number(env: Env, name: string): number | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  const parsed = Number(raw);
  if (!Number.isFinite(parsed)) throw new Error(`${name}=${raw} is not a number`);
  return parsed;
}

export function isTrue(env: Env, name: string): boolean {
  return value(env, name)?.toLowerCase() === 'true';
}

/** A comma-separated list, lower case, without blanks. */
export function list(env: Env, name: string): string[] {
  return (value(env, name) ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item.length > 0);
}

/** `key=value` pairs separated by commas, values percent-decoded (OTEL_RESOURCE_ATTRIBUTES, *_HEADERS). */
export function keyValues(env: Env, name: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const item of (value(env, name) ?? '').split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const key = item.slice(0, eq).trim();
    try {
      pairs[key] = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      throw new Error(`${name}: the value of '${key}' is not valid percent-encoding`);
    }
  }
  return pairs;
}

/** OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG; default parentbased_always_on, as the specification says. */
export function samplerFromEnv(env: Env): Sampler {
  const name = value(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on';
  const ratio = () => {
    const arg = number(env, 'OTEL_TRACES_SAMPLER_ARG') ?? 1;
    if (arg < 0 || arg > 1) throw new Error(`OTEL_TRACES_SAMPLER_ARG=${arg} is outside [0, 1]`);
    return new TraceIdRatioBasedSampler(arg);
  };
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_on':
      return new ParentBasedSampler(new AlwaysOnSampler());
    case 'parentbased_always_off':
      return new ParentBasedSampler(new AlwaysOffSampler());
    case 'parentbased_traceidratio':
      return new ParentBasedSampler(ratio());
    default:
      throw new Error(
        `OTEL_TRACES_SAMPLER=${name} is not supported (always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio)`,
      );
  }
}

/** The SDK's default resource plus OTEL_RESOURCE_ATTRIBUTES; OTEL_SERVICE_NAME wins over both. */
export function resourceFromEnv(env: Env): Resource {
  const attributes = keyValues(env, 'OTEL_RESOURCE_ATTRIBUTES');
  attributes['service.name'] =
    value(env, 'OTEL_SERVICE_NAME') ?? attributes['service.name'] ?? DEFAULT_SERVICE_NAME;
  const { defaultResource, resourceFromAttributes } = resources();
  return defaultResource().merge(resourceFromAttributes(attributes));
}

type Signal = 'TRACES' | 'METRICS';
type Protocol = 'grpc' | 'http/protobuf' | 'http/json';

function protocol(env: Env, signal: Signal): Protocol {
  const name = (
    value(env, `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`) ??
    value(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ??
    'http/protobuf'
  ).toLowerCase();
  if (name === 'grpc' || name === 'http/protobuf' || name === 'http/json') return name;
  throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL=${name} is not supported (grpc, http/protobuf, http/json)`);
}

interface OtlpSettings {
  readonly protocol: Protocol;
  readonly url: string | undefined;
  readonly headers: Record<string, string>;
  readonly timeoutMillis: number | undefined;
}

function otlpSettings(env: Env, signal: Signal): OtlpSettings {
  const proto = protocol(env, signal);
  const specific = value(env, `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`);
  const base = value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  // Over HTTP the generic endpoint is a base URL the signal's path is appended to; over gRPC it is used as is.
  const path = signal === 'TRACES' ? 'v1/traces' : 'v1/metrics';
  const url =
    specific ?? (base && proto !== 'grpc' ? `${base.endsWith('/') ? base : `${base}/`}${path}` : base);
  return {
    protocol: proto,
    url,
    headers: {
      ...keyValues(env, 'OTEL_EXPORTER_OTLP_HEADERS'),
      ...keyValues(env, `OTEL_EXPORTER_OTLP_${signal}_HEADERS`),
    },
    timeoutMillis:
      number(env, `OTEL_EXPORTER_OTLP_${signal}_TIMEOUT`) ?? number(env, 'OTEL_EXPORTER_OTLP_TIMEOUT'),
  };
}

function grpcMetadata(headers: Record<string, string>): Metadata | undefined {
  const entries = Object.entries(headers);
  if (entries.length === 0) return undefined;
  const metadata = new (grpc().Metadata)();
  for (const [key, val] of entries) metadata.set(key, val);
  return metadata;
}

function otlpTraceExporter(env: Env): SpanExporter {
  const s = otlpSettings(env, 'TRACES');
  const common = {
    ...(s.url !== undefined && { url: s.url }),
    ...(s.timeoutMillis !== undefined && { timeoutMillis: s.timeoutMillis }),
  };
  if (s.protocol === 'grpc') {
    const metadata = grpcMetadata(s.headers);
    return new (otlpGrpcTrace().OTLPTraceExporter)({ ...common, ...(metadata && { metadata }) });
  }
  const module = s.protocol === 'http/json' ? otlpHttpTrace() : otlpProtoTrace();
  return new module.OTLPTraceExporter({ ...common, headers: s.headers });
}

/** Span exporters named by OTEL_TRACES_EXPORTER (`otlp`, `console`, `none`); unset means none. */
export function traceExportersFromEnv(env: Env): SpanExporter[] {
  const exporters: SpanExporter[] = [];
  for (const name of list(env, 'OTEL_TRACES_EXPORTER')) {
    if (name === 'none') continue;
    if (name === 'otlp') exporters.push(otlpTraceExporter(env));
    else if (name === 'console') exporters.push(new (sdkTrace().ConsoleSpanExporter)());
    else throw new Error(`OTEL_TRACES_EXPORTER=${name} is not supported (otlp, console, none)`);
  }
  return exporters;
}

/** OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION: `gzip` or `none` (the default). */
function compression(env: Env, signal: Signal): 'gzip' | 'none' {
  const name = (
    value(env, `OTEL_EXPORTER_OTLP_${signal}_COMPRESSION`) ??
    value(env, 'OTEL_EXPORTER_OTLP_COMPRESSION') ??
    'none'
  ).toLowerCase();
  if (name === 'gzip' || name === 'none') return name;
  throw new Error(`OTEL_EXPORTER_OTLP_COMPRESSION=${name} is not supported (gzip, none)`);
}

/** OTEL_EXPORTER_OTLP_[TRACES_]{CERTIFICATE,CLIENT_CERTIFICATE,CLIENT_KEY}: PEM files, read at start. */
function tlsFiles(env: Env, signal: Signal): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const file = (name: string) => {
    const where =
      value(env, `OTEL_EXPORTER_OTLP_${signal}_${name}`) ?? value(env, `OTEL_EXPORTER_OTLP_${name}`);
    if (where === undefined) return undefined;
    try {
      return readFileSync(where);
    } catch (error) {
      throw new Error(`OTEL_EXPORTER_OTLP_${name}=${where} cannot be read: ${(error as Error).message}`);
    }
  };
  const ca = file('CERTIFICATE');
  const cert = file('CLIENT_CERTIFICATE');
  const key = file('CLIENT_KEY');
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
}

/**
 * The span processors OTEL_TRACES_EXPORTER names. OTLP over http/protobuf gets the router's own processor, which
 * encodes each span as it ends (otlp-span-processor.ts); grpc, http/json and console go through the SDK's
 * BatchSpanProcessor and exporter. Both batch by OTEL_BSP_*.
 */
export function traceSpanProcessorsFromEnv(env: Env): SpanProcessor[] {
  const processors: SpanProcessor[] = [];
  const batch = batchConfigFromEnv(env);
  for (const name of list(env, 'OTEL_TRACES_EXPORTER')) {
    if (name === 'otlp' && protocol(env, 'TRACES') === 'http/protobuf') {
      const s = otlpSettings(env, 'TRACES');
      const sender = new OtlpHttpSender({
        url: s.url ?? DEFAULT_OTLP_HTTP_TRACES_URL,
        headers: s.headers,
        timeoutMillis: s.timeoutMillis ?? DEFAULT_OTLP_TIMEOUT_MS,
        compression: compression(env, 'TRACES'),
        tls: tlsFiles(env, 'TRACES'),
      });
      processors.push(new OtlpProtoSpanProcessor(sender, batch));
      continue;
    }
    for (const exporter of traceExportersFromEnv({ ...env, OTEL_TRACES_EXPORTER: name }))
      processors.push(new (sdkTrace().BatchSpanProcessor)(exporter, batch));
  }
  return processors;
}

/** BatchSpanProcessor settings from OTEL_BSP_*. */
export function batchConfigFromEnv(env: Env): BufferConfig {
  const config: { -readonly [K in keyof BufferConfig]: BufferConfig[K] } = {};
  const delay = number(env, 'OTEL_BSP_SCHEDULE_DELAY');
  const timeout = number(env, 'OTEL_BSP_EXPORT_TIMEOUT');
  const queue = number(env, 'OTEL_BSP_MAX_QUEUE_SIZE');
  const batch = number(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE');
  if (delay !== undefined) config.scheduledDelayMillis = delay;
  if (timeout !== undefined) config.exportTimeoutMillis = timeout;
  if (queue !== undefined) config.maxQueueSize = queue;
  if (batch !== undefined) config.maxExportBatchSize = batch;
  return config;
}

/**
 * Push readers named by OTEL_METRICS_EXPORTER: `otlp` (interval OTEL_METRIC_EXPORT_INTERVAL). `prometheus` is
 * accepted and served by the admin server's reader, which the caller passes in; `none` and unset mean none.
 */
export function metricReadersFromEnv(env: Env, producers: readonly MetricProducer[] = []): MetricReader[] {
  const readers: MetricReader[] = [];
  for (const name of list(env, 'OTEL_METRICS_EXPORTER')) {
    if (name === 'none' || name === 'prometheus') continue;
    if (name !== 'otlp')
      throw new Error(`OTEL_METRICS_EXPORTER=${name} is not supported (otlp, prometheus, none)`);
    const s = otlpSettings(env, 'METRICS');
    const common = {
      ...(s.url !== undefined && { url: s.url }),
      ...(s.timeoutMillis !== undefined && { timeoutMillis: s.timeoutMillis }),
    };
    const metadata = grpcMetadata(s.headers);
    const exporter =
      s.protocol === 'grpc'
        ? new (otlpGrpcMetrics().OTLPMetricExporter)({ ...common, ...(metadata && { metadata }) })
        : new (s.protocol === 'http/json' ? otlpHttpMetrics() : otlpProtoMetrics()).OTLPMetricExporter({
            ...common,
            headers: s.headers,
          });
    const interval = number(env, 'OTEL_METRIC_EXPORT_INTERVAL') ?? 60_000;
    // The reader rejects a timeout longer than the interval.
    const timeout = Math.min(number(env, 'OTEL_METRIC_EXPORT_TIMEOUT') ?? 30_000, interval);
    readers.push(
      new (sdkMetrics().PeriodicExportingMetricReader)({
        exporter,
        exportIntervalMillis: interval,
        exportTimeoutMillis: timeout,
        metricProducers: [...producers],
      }),
    );
  }
  return readers;
}
