// The router's own tracer (direct-tracer.ts, direct-span.ts): sampler decisions, parents, ids and the span limits
// of the OTEL_* variables behave as with the SDK's tracer, seen through what an exporter receives.
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  SamplingDecision,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { DirectTracer, RandomIds, spanLimitsFromEnv } from '../../../src/telemetry/direct-tracer.ts';

function tracerWith(sampler: Sampler, env: Record<string, string> = {}) {
  const exporter = new InMemorySpanExporter();
  const tracer = new DirectTracer({
    resource: resourceFromAttributes({ 'service.name': 'test' }),
    scope: { name: 'semantic-router', version: '1.0.0' },
    sampler,
    processors: [new SimpleSpanProcessor(exporter)],
    limits: spanLimitsFromEnv(env),
  });
  return { tracer, exporter };
}

const remoteParent = (flags: TraceFlags): Context =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: flags,
    isRemote: true,
  });

describe('DirectTracer', () => {
  it('joins a sampled parent and starts new traces otherwise', () => {
    const { tracer, exporter } = tracerWith(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
    tracer.startSpan('child', { kind: SpanKind.SERVER }, remoteParent(TraceFlags.SAMPLED)).end();
    tracer.startSpan('root').end();
    const [child, root] = exporter.getFinishedSpans();
    expect(child?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(child?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(child?.kind).toBe(SpanKind.SERVER);
    expect(root?.parentSpanContext).toBeUndefined();
    expect(root?.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root?.spanContext().traceId).not.toBe(child?.spanContext().traceId);
  });

  it('an unsampled span records nothing but carries a valid context to propagate', () => {
    const { tracer, exporter } = tracerWith(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
    const span = tracer.startSpan('child', {}, remoteParent(TraceFlags.NONE));
    span.setAttribute('router.decision.name', 'code');
    span.end();
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext()).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      traceFlags: TraceFlags.NONE,
    });
    expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('samples about the configured ratio of new traces', () => {
    const { tracer, exporter } = tracerWith(new TraceIdRatioBasedSampler(0.1));
    for (let i = 0; i < 4000; i++) tracer.startSpan('stream').end();
    const sampled = exporter.getFinishedSpans().length;
    expect(sampled).toBeGreaterThan(250);
    expect(sampled).toBeLessThan(550);
  });

  it('a record-only decision gives a recording span that sampled-only processors leave out', () => {
    const recordOnly: Sampler = {
      shouldSample: () => ({ decision: SamplingDecision.RECORD, attributes: { 'sampler.note': 'kept' } }),
    };
    const { tracer, exporter } = tracerWith(recordOnly);
    const span = tracer.startSpan('stream');
    expect(span.isRecording()).toBe(true);
    expect(span.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(0);
    expect((span as unknown as ReadableSpan).attributes).toEqual({ 'sampler.note': 'kept' });
    span.end();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('suppressed tracing and always_off give non-recording spans', () => {
    const { tracer, exporter } = tracerWith(new AlwaysOnSampler());
    expect(tracer.startSpan('quiet', {}, suppressTracing(ROOT_CONTEXT)).isRecording()).toBe(false);
    const off = tracerWith(new AlwaysOffSampler());
    off.tracer.startSpan('off').end();
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(off.exporter.getFinishedSpans()).toEqual([]);
  });

  it('keeps one value per attribute key, the last one set, in the order keys were first set', () => {
    const { tracer, exporter } = tracerWith(new AlwaysOnSampler());
    const span = tracer.startSpan('stream', { attributes: { first: 1 } });
    span.setAttribute('http.response.status_code', 200);
    span.setAttribute('router.model.name', 'small');
    span.setAttribute('http.response.status_code', 503);
    span.setAttribute('ignored', undefined as unknown as string);
    span.end();
    span.setAttribute('after.end', true);
    const attributes = exporter.getFinishedSpans()[0]?.attributes as Attributes;
    expect(Object.entries(attributes)).toEqual([
      ['first', 1],
      ['http.response.status_code', 503],
      ['router.model.name', 'small'],
    ]);
  });

  it('applies the attribute count and value length limits of the OTEL_* variables', () => {
    const { tracer, exporter } = tracerWith(new AlwaysOnSampler(), {
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '2',
      OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '4',
    });
    const span = tracer.startSpan('stream');
    span.setAttribute('a', 'abcdefgh');
    span.setAttribute('b', ['long text', 'ok']);
    span.setAttribute('mixed', ['text', 7] as unknown as string[]);
    span.setAttribute('c', 'dropped');
    span.setAttribute('a', 'xyz');
    span.end();
    const [finished] = exporter.getFinishedSpans();
    expect(finished?.attributes).toEqual({ a: 'xyz', b: ['long', 'ok'] });
    expect(finished?.droppedAttributesCount).toBe(1);
  });

  it('status: OK is final, a message only with ERROR; events and exceptions as the SDK records them', () => {
    const { tracer, exporter } = tracerWith(new AlwaysOnSampler(), { OTEL_SPAN_EVENT_COUNT_LIMIT: '2' });
    const span = tracer.startSpan('stream');
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'first' });
    span.setStatus({ code: SpanStatusCode.OK, message: 'ignored' });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'too late' });
    span.addEvent('one');
    span.addEvent('two', { n: 2 });
    span.recordException(new TypeError('bad input'));
    span.end();
    const [finished] = exporter.getFinishedSpans();
    expect(finished?.status).toEqual({ code: SpanStatusCode.OK });
    expect(finished?.events.map((event) => event.name)).toEqual(['two', 'exception']);
    expect(finished?.droppedEventsCount).toBe(1);
    expect(finished?.events[1]?.attributes).toMatchObject({
      'exception.type': 'TypeError',
      'exception.message': 'bad input',
    });
  });

  it('times: the span ends no earlier than it started', () => {
    const { tracer, exporter } = tracerWith(new AlwaysOnSampler());
    const start = performance.now();
    tracer.startSpan('stream', { startTime: start }).end(start - 5);
    const [finished] = exporter.getFinishedSpans();
    expect(finished?.duration).toEqual([0, 0]);
    expect(finished?.endTime).toEqual(finished?.startTime);
  });
});

describe('RandomIds', () => {
  it('hands out distinct lower-case hex ids of W3C length across pool refills', () => {
    const ids = new RandomIds();
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const traceId = ids.traceId();
      const spanId = ids.spanId();
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(trace.isSpanContextValid({ traceId, spanId, traceFlags: 0 })).toBe(true);
      seen.add(traceId).add(spanId);
    }
    expect(seen.size).toBe(4000);
  });
});
