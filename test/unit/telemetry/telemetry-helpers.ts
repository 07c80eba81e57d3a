// Test telemetry: spans into an in-memory exporter, metrics into a Prometheus reader read without HTTP.
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AggregatedMetrics } from '../../../src/telemetry/aggregated-metrics.ts';
import { createTelemetry, type Telemetry } from '../../../src/telemetry/telemetry.ts';

/** Two families (keywords, context), a block decision and a routed decision with a system_prompt plugin. */
export const TELEMETRY_POLICY = `
version: v1
auto_model_names: [auto]
default_model: small
pools:
  - { name: l4-pool, max_context_tokens: 32K }
  - { name: h100-pool, max_context_tokens: 128K }
models:
  - { name: small, provider_model_id: Qwen/Qwen3-8B, pools: [l4-pool, h100-pool] }
  - { name: coder, provider_model_id: Qwen/Qwen3-Coder-30B, pools: [h100-pool] }
routing:
  signals:
    keywords:
      - { name: code, operator: OR, keywords: [python] }
      - { name: injection, operator: OR, keywords: [ignore all previous instructions] }
    context:
      - { name: long, min_tokens: 24K, max_tokens: 128K }
  decisions:
    - name: block_injection
      priority: 1000
      rules: { type: keyword, name: injection }
      modelRefs: [{ model: small }]
      plugins: [{ type: block, configuration: { message: blocked by policy } }]
    - name: code
      priority: 100
      rules: { operator: OR, conditions: [{ type: keyword, name: code }, { type: context, name: long }] }
      modelRefs: [{ model: coder }]
      plugins: [{ type: system_prompt, configuration: { system_prompt: Be terse. } }]
`;

export interface TestTelemetry {
  readonly telemetry: Telemetry;
  readonly spans: InMemorySpanExporter;
  /** The metrics as /metrics would serve them. */
  prometheusText(): Promise<string>;
}

export function testTelemetry(
  options: { tracing?: boolean; metrics?: boolean; recordPromptText?: boolean } = {},
): TestTelemetry {
  const spans = new InMemorySpanExporter();
  const aggregatedMetrics = new AggregatedMetrics();
  const reader = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    metricProducers: [aggregatedMetrics],
  });
  const telemetry = createTelemetry({
    env: {},
    ...((options.tracing ?? true) && { spanProcessors: [new SimpleSpanProcessor(spans)] }),
    ...((options.metrics ?? true) && { metricReaders: [reader], aggregatedMetrics }),
    ...(options.recordPromptText !== undefined && { recordPromptText: options.recordPromptText }),
  });
  const serializer = new PrometheusSerializer('', false, undefined, true, true);
  return {
    telemetry,
    spans,
    prometheusText: async () => {
      const { resourceMetrics } = await reader.collect();
      return serializer.serialize(resourceMetrics);
    },
  };
}

export interface SpanNode {
  readonly name: string;
  readonly children?: SpanNode[];
}

/** The finished spans as a tree of names; siblings in the order they ended. */
export function spanTree(spans: readonly ReadableSpan[]): SpanNode[] {
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  const build = (parentId: string | undefined): SpanNode[] =>
    spans
      .filter((s) => {
        const parent = s.parentSpanContext?.spanId;
        return parentId === undefined ? parent === undefined || !ids.has(parent) : parent === parentId;
      })
      .map((s) => {
        const children = build(s.spanContext().spanId);
        return children.length > 0 ? { name: s.name, children } : { name: s.name };
      });
  return build(undefined);
}

export function spanNamed(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span named ${name}; spans: ${spans.map((s) => s.name).join(', ')}`);
  return span;
}
