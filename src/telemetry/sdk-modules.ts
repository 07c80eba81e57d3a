// The OpenTelemetry SDK and exporter packages, loaded on first use: with tracing and OTLP off the router never
// loads them (the exporters alone take ~0.4 s to import, against a 1 s start budget).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export type SdkTraceModule = typeof import('@opentelemetry/sdk-trace-base');
export type SdkMetricsModule = typeof import('@opentelemetry/sdk-metrics');
export type ResourcesModule = typeof import('@opentelemetry/resources');
export type OtlpGrpcTraceModule = typeof import('@opentelemetry/exporter-trace-otlp-grpc');
export type OtlpHttpTraceModule = typeof import('@opentelemetry/exporter-trace-otlp-http');
export type OtlpProtoTraceModule = typeof import('@opentelemetry/exporter-trace-otlp-proto');
export type OtlpGrpcMetricsModule = typeof import('@opentelemetry/exporter-metrics-otlp-grpc');
export type OtlpHttpMetricsModule = typeof import('@opentelemetry/exporter-metrics-otlp-http');
export type OtlpProtoMetricsModule = typeof import('@opentelemetry/exporter-metrics-otlp-proto');
export type GrpcModule = typeof import('@grpc/grpc-js');

export const sdkTrace = (): SdkTraceModule => require('@opentelemetry/sdk-trace-base');
export const sdkMetrics = (): SdkMetricsModule => require('@opentelemetry/sdk-metrics');
export const resources = (): ResourcesModule => require('@opentelemetry/resources');
export const otlpGrpcTrace = (): OtlpGrpcTraceModule => require('@opentelemetry/exporter-trace-otlp-grpc');
export const otlpHttpTrace = (): OtlpHttpTraceModule => require('@opentelemetry/exporter-trace-otlp-http');
export const otlpProtoTrace = (): OtlpProtoTraceModule => require('@opentelemetry/exporter-trace-otlp-proto');
export const otlpGrpcMetrics = (): OtlpGrpcMetricsModule =>
  require('@opentelemetry/exporter-metrics-otlp-grpc');
export const otlpHttpMetrics = (): OtlpHttpMetricsModule =>
  require('@opentelemetry/exporter-metrics-otlp-http');
export const otlpProtoMetrics = (): OtlpProtoMetricsModule =>
  require('@opentelemetry/exporter-metrics-otlp-proto');
export const grpc = (): GrpcModule => require('@grpc/grpc-js');
