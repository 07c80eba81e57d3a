// The router's tracer: the SDK tracer's decisions (parent from the context, ids, the sampler's verdict and trace
// state, span limits from OTEL_* variables) with DirectSpans as its recording spans, and span processors called
// directly. What a sampled stream span costs is mostly its attributes (direct-span.ts); an unsampled one is a
// non-recording span carrying its context, as with the SDK.
import { randomFillSync } from 'node:crypto';
import {
  type Context,
  context as contextApi,
  INVALID_SPAN_CONTEXT,
  type Link,
  SamplingDecision,
  type Span,
  SpanKind,
  type SpanOptions,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { type InstrumentationScope, isTracingSuppressed, sanitizeAttributes } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DirectSpan, type ResolvedSpanLimits } from './direct-span.ts';
import { isValidSpanContext } from './samplers.ts';

type Env = Readonly<Record<string, string | undefined>>;

function limitFromEnv(env: Env, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  return Number.isNaN(value) ? undefined : value;
}

/** The span limits the SDK's tracer provider reads: span-specific variables first, then the general ones. */
export function spanLimitsFromEnv(env: Env): ResolvedSpanLimits {
  const general = (name: string, fallback: number) => limitFromEnv(env, name) ?? fallback;
  return {
    attributeValueLengthLimit:
      limitFromEnv(env, 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ??
      general('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', Number.POSITIVE_INFINITY),
    attributeCountLimit:
      limitFromEnv(env, 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT') ?? general('OTEL_ATTRIBUTE_COUNT_LIMIT', 128),
    linkCountLimit: general('OTEL_SPAN_LINK_COUNT_LIMIT', 128),
    eventCountLimit: general('OTEL_SPAN_EVENT_COUNT_LIMIT', 128),
    attributePerEventCountLimit: general('OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT', 128),
    attributePerLinkCountLimit: general('OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT', 128),
  };
}

const ID_POOL_BYTES = 4096;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * Random W3C ids, cut from a pool of hex digits that the system's CSPRNG refills: one hex conversion per ~170
 * spans, and each id a slice of it. An all-zero id (invalid) is never returned.
 */
export class RandomIds {
  private readonly bytes = Buffer.allocUnsafe(ID_POOL_BYTES);
  private hex = '';
  private offset = 0;

  traceId(): string {
    const id = this.take(32);
    return id === ZERO_TRACE_ID ? `${ZERO_TRACE_ID.slice(1)}1` : id;
  }

  spanId(): string {
    const id = this.take(16);
    return id === ZERO_SPAN_ID ? `${ZERO_SPAN_ID.slice(1)}1` : id;
  }

  private take(digits: number): string {
    if (this.offset + digits > this.hex.length) {
      randomFillSync(this.bytes);
      this.hex = this.bytes.toString('hex');
      this.offset = 0;
    }
    const start = this.offset;
    this.offset += digits;
    return this.hex.slice(start, start + digits);
  }
}

/** The processors as one, in order. */
class ProcessorChain implements SpanProcessor {
  constructor(private readonly processors: readonly SpanProcessor[]) {}
  onStart(span: DirectSpan, parent: Context): void {
    for (const processor of this.processors) processor.onStart(span, parent);
  }
  onEnding(span: DirectSpan): void {
    for (const processor of this.processors) processor.onEnding?.(span);
  }
  onEnd(span: DirectSpan): void {
    for (const processor of this.processors) processor.onEnd(span);
  }
  async forceFlush(): Promise<void> {
    await Promise.all(this.processors.map((processor) => processor.forceFlush()));
  }
  async shutdown(): Promise<void> {
    await Promise.all(this.processors.map((processor) => processor.shutdown()));
  }
}

const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];

export interface DirectTracerOptions {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly sampler: Sampler;
  readonly processors: readonly SpanProcessor[];
  readonly limits: ResolvedSpanLimits;
}

export class DirectTracer implements Tracer {
  private readonly ids = new RandomIds();
  private readonly processor: ProcessorChain;

  constructor(private readonly options: DirectTracerOptions) {
    this.processor = new ProcessorChain(options.processors);
  }

  startSpan(name: string, options: SpanOptions = {}, context: Context = contextApi.active()): Span {
    const parentContext = options.root ? trace.deleteSpan(context) : context;
    if (isTracingSuppressed(parentContext)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parent = trace.getSpanContext(parentContext);
    const validParent = parent && isValidSpanContext(parent) ? parent : undefined;
    const traceId = validParent?.traceId ?? this.ids.traceId();
    const spanId = this.ids.spanId();
    const kind = options.kind ?? SpanKind.INTERNAL;
    const links =
      options.links === undefined
        ? NO_LINKS
        : options.links.map((link) => ({
            context: link.context,
            attributes: sanitizeAttributes(link.attributes),
          }));
    const attributes = options.attributes === undefined ? {} : sanitizeAttributes(options.attributes);
    const sampling = this.options.sampler.shouldSample(parentContext, traceId, name, kind, attributes, links);
    const traceState = sampling.traceState ?? validParent?.traceState;
    const traceFlags =
      sampling.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE;
    const spanContext = traceState
      ? { traceId, spanId, traceFlags, traceState }
      : { traceId, spanId, traceFlags };
    if (sampling.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const span = new DirectSpan({
      name,
      kind,
      spanContext,
      parentSpanContext: validParent,
      startTime: options.startTime,
      resource: this.options.resource,
      scope: this.options.scope,
      limits: this.options.limits,
      processor: this.processor,
    });
    if (links.length > 0) span.addLinks(links);
    const initial = sampling.attributes
      ? sanitizeAttributes(Object.assign(attributes, sampling.attributes))
      : attributes;
    span.setAttributes(initial);
    this.processor.onStart(span, parentContext);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    context: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]
  ): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : undefined;
    const parent = rest.length > 2 ? (rest[1] as Context) : contextApi.active();
    const span = this.startSpan(name, options, parent);
    return contextApi.with(trace.setSpan(parent, span), () => fn(span) as ReturnType<F>);
  }

  forceFlush(): Promise<void> {
    return this.processor.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.processor.shutdown();
  }
}
