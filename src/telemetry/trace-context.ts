// W3C trace context in and out: the parent comes from the request's `traceparent` / `tracestate` headers, else
// from the ext_proc stream's gRPC metadata (Envoy puts its own span there when its tracing is on); the router's
// span goes to the upstream request as a `traceparent` header so the model server's spans join the trace.
import {
  type Context,
  ROOT_CONTEXT,
  type SpanContext,
  type TextMapGetter,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { TRACE_PARENT_HEADER, TRACE_STATE_HEADER, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { HeaderPair } from '../mutations.ts';

/** Reads one carrier value by lower-case name (a header map, gRPC metadata, …). */
export type TraceCarrier = (name: string) => string | undefined;

const propagator = new W3CTraceContextPropagator();

const carrierGetter: TextMapGetter<TraceCarrier> = {
  get: (carrier, key) => carrier(key),
  keys: () => [TRACE_PARENT_HEADER, TRACE_STATE_HEADER],
};

function extract(carrier: TraceCarrier): Context | undefined {
  if (carrier(TRACE_PARENT_HEADER) === undefined) return undefined;
  const context = propagator.extract(ROOT_CONTEXT, carrier, carrierGetter);
  return trace.getSpanContext(context) ? context : undefined;
}

/** The parent context of a stream's span: request headers first, then the stream's metadata, else a new trace. */
export function parentContext(headers: ReadonlyMap<string, string>, metadata?: TraceCarrier): Context {
  return extract((name) => headers.get(name)) ?? (metadata && extract(metadata)) ?? ROOT_CONTEXT;
}

/**
 * `traceparent` (and `tracestate`) headers naming `span` as the parent of what comes next. Formatted directly (the
 * tracer made the ids, valid by construction) rather than through a context and the propagator: every stream
 * pays this, sampled or not.
 */
export function spanTraceHeaders(span: SpanContext): HeaderPair[] {
  const flags = span.traceFlags & TraceFlags.SAMPLED ? '01' : '00';
  const traceparent: HeaderPair = [TRACE_PARENT_HEADER, `00-${span.traceId}-${span.spanId}-${flags}`];
  const state = span.traceState?.serialize();
  return state ? [traceparent, [TRACE_STATE_HEADER, state]] : [traceparent];
}
