// Telemetry of one ext_proc stream: the stream's server span (when tracing is on) and the request / stage /
// signal / error metrics. Routing facts and stage times go onto the stream span as attributes once routing is done
// (stream-span-facts.ts); the only children are the upstream response and, when something failed, the stage that
// threw or the signal family that failed. The sampler decides when the stream span starts; an unsampled stream
// builds no attribute at all but still propagates its context upstream. Span times are HrTimes from the one
// monotonic clock (the SDK would re-anchor numeric times per span, to the millisecond). With tracing and metrics
// off the server gets NOOP_STREAM_TELEMETRY.
import { type Context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { ERROR_CODES, RateLimitedError, RouterError } from '../errors.ts';
import type { HeaderPair } from '../mutations.ts';
import type { RoutedRequest } from '../pipeline.ts';
import type { AnswerSummary } from '../response/response-tracker.ts';
import type { FamilyOutcome } from '../signals/signal-engine.ts';
import {
  DECISION_DEFAULT,
  DECISION_EXPLICIT_MODEL,
  ERROR_REASON,
  type MetricResponsePath,
  NONE,
  type Stage,
} from './metric-names.ts';
import type { RouteRecord } from './route-record.ts';
import type { RouterMetrics } from './router-metrics.ts';
import * as A from './semconv.ts';
import {
  operationName,
  writeDecisionFacts,
  writePluginFacts,
  writeRequestFacts,
  writeSelectionFacts,
  writeSignalFacts,
  writeStageTimes,
  writeTargetFacts,
} from './stream-span-facts.ts';
import { parentContext, spanTraceHeaders, type TraceCarrier } from './trace-context.ts';

export interface StreamTelemetry {
  /** The request headers arrived. Returns headers to set on the upstream request (trace context), if any. */
  requestHeaders(method: string, path: string, headers: ReadonlyMap<string, string>): readonly HeaderPair[];
  /** The request was answered without routing. */
  answered(responsePath: 'local' | 'passthrough'): void;
  /** The request was routed (to a model, or answered by a plugin). */
  routed(record: RouteRecord, routed: RoutedRequest): void;
  /** Routing failed; `record` holds the stages that ran. `failOpen`: the request goes on unrouted. */
  failed(error: unknown, record: RouteRecord | undefined, failOpen: boolean): void;
  /** The upstream response headers arrived. */
  responseHeaders(status: number | undefined, streaming: boolean): void;
  /** The last response body chunk went through. */
  responseEnd(): void;
  /** What the response stage learned of the answer (tokens, timing, cost) from `pool`; once per routed request. */
  answer(summary: AnswerSummary, pool: string): void;
  /** The stream closed (end, error or cancel). Called once. */
  close(streamFailed: boolean): void;
  /** `trace_id` / `span_id` of the stream's span for its log lines; empty when it has none (yet). */
  logFields(): Readonly<Record<string, string>>;
}

const NO_HEADERS: readonly HeaderPair[] = [];
const NO_FIELDS: Readonly<Record<string, string>> = {};

export const NOOP_STREAM_TELEMETRY: StreamTelemetry = {
  requestHeaders: () => NO_HEADERS,
  answered: () => {},
  routed: () => {},
  failed: () => {},
  responseHeaders: () => {},
  responseEnd: () => {},
  answer: () => {},
  close: () => {},
  logFields: () => NO_FIELDS,
};

export interface StreamTelemetryDeps {
  readonly metrics: RouterMetrics;
  readonly metricsEnabled: boolean;
  /** Undefined when tracing is off. */
  readonly tracer: Tracer | undefined;
  readonly recordPromptText: boolean;
}

const STAGE_SPAN_NAMES: Readonly<Record<Stage, string>> = {
  parse: A.SPAN.parse,
  signals: A.SPAN.signals,
  decision: A.SPAN.decision,
  model_selection: A.SPAN.modelSelection,
  plugins: A.SPAN.plugins,
  pool_selection: A.SPAN.poolSelection,
};

function errorReason(error: unknown): string {
  return error instanceof RouterError ? error.code : 'internal_error';
}

function familyErrorType(outcome: FamilyOutcome): string {
  return outcome.failure === 'timeout'
    ? ERROR_REASON.signalTimeout
    : outcome.failure === 'too_long'
      ? ERROR_REASON.signalTooLong
      : ERROR_REASON.signalError;
}

export class RecordingStreamTelemetry implements StreamTelemetry {
  private readonly startedAt = performance.now();
  private span: Span | undefined;
  /** The stream span is sampled: only then are attributes and child spans made. */
  private recording = false;
  private spanContext: Context | undefined;
  private upstreamSpan: Span | undefined;
  private routedPlan: RoutedRequest['plan'] | undefined;
  private path = '';

  constructor(
    private readonly deps: StreamTelemetryDeps,
    private readonly metadata: TraceCarrier | undefined,
  ) {
    if (deps.metricsEnabled) deps.metrics.streamOpened();
  }

  requestHeaders(method: string, path: string, headers: ReadonlyMap<string, string>): readonly HeaderPair[] {
    const tracer = this.deps.tracer;
    this.path = path;
    if (!tracer || this.span) return NO_HEADERS;
    const parent = parentContext(headers, this.metadata);
    // No attributes at start: the sampler decides first (ours never look at attributes), and an unsampled span
    // gets none. The start stays a performance.now() reading: only a recording span turns it into an HrTime.
    const span = tracer.startSpan(
      A.SPAN.stream,
      { kind: SpanKind.SERVER, startTime: this.startedAt },
      parent,
    );
    this.span = span;
    if (span.isRecording()) {
      this.recording = true;
      this.spanContext = trace.setSpan(parent, span);
      span.setAttribute(A.ATTR_HTTP_REQUEST_METHOD, method);
      span.setAttribute(A.ATTR_URL_PATH, path);
    }
    return spanTraceHeaders(span.spanContext());
  }

  logFields(): Readonly<Record<string, string>> {
    const context = this.span?.spanContext();
    return context ? { trace_id: context.traceId, span_id: context.spanId } : NO_FIELDS;
  }

  answered(responsePath: 'local' | 'passthrough'): void {
    this.countRequest(NONE, NONE, NONE, responsePath);
    if (this.recording) this.span?.setAttribute(A.ATTR_ROUTER_RESPONSE_PATH, responsePath);
  }

  routed(record: RouteRecord, routed: RoutedRequest): void {
    const { plan } = routed;
    this.routedPlan = plan;
    const responsePath = plan.response?.responsePath ?? 'upstream';
    const decision = plan.decision?.name ?? (plan.explicitModel ? DECISION_EXPLICIT_MODEL : DECISION_DEFAULT);
    if (this.deps.metricsEnabled) this.recordStages(record);
    this.countRequest(decision, plan.model.name, plan.pool?.name ?? NONE, responsePath);
    const span = this.recording ? this.span : undefined;
    if (!span) return;
    this.writeRecord(span, record);
    span.setAttribute(A.ATTR_ROUTER_RESPONSE_PATH, responsePath);
    if (plan.explicitModel) span.setAttribute(A.ATTR_ROUTER_EXPLICIT_MODEL, true);
    writeDecisionFacts(span, plan, decision);
    writeTargetFacts(span, plan);
    if (plan.selection) writeSelectionFacts(span, plan.selection);
    if (plan.signals && plan.signals.matches.size > 0)
      span.setAttribute(A.ATTR_ROUTER_SIGNALS_MATCHED, Array.from(plan.signals.matches.keys()));
    if (plan.onErrorApplied.length > 0)
      span.setAttribute(
        A.ATTR_ROUTER_SIGNALS_ON_ERROR,
        plan.onErrorApplied.map((a) => `${a.key}=${a.action}`),
      );
    if (plan.response) span.setAttribute(A.ATTR_HTTP_RESPONSE_STATUS_CODE, plan.response.status);
    if (record.rateLimits.length > 0) span.setAttribute(A.ATTR_ROUTER_RATE_LIMIT, [...record.rateLimits]);
  }

  failed(error: unknown, record: RouteRecord | undefined, failOpen: boolean): void {
    const reason = errorReason(error);
    const responsePath: MetricResponsePath =
      failOpen && !(error instanceof RouterError) ? 'passthrough' : 'error';
    if (this.deps.metricsEnabled) {
      this.deps.metrics.error(reason);
      if (error instanceof RateLimitedError) this.deps.metrics.rateLimited(error.limit, error.reason);
      if (record) this.recordStages(record);
    }
    this.countRequest(NONE, NONE, NONE, responsePath);
    const span = this.recording ? this.span : undefined;
    if (!span) return;
    if (record) {
      this.writeRecord(span, record);
      this.failedStageSpan(record, reason);
    }
    span.setAttribute(A.ATTR_ROUTER_RESPONSE_PATH, responsePath);
    span.setAttribute(A.ATTR_ERROR_TYPE, reason);
    if (error instanceof RateLimitedError) {
      span.setAttribute(A.ATTR_ROUTER_RATE_LIMIT, error.limit);
      span.setAttribute(A.ATTR_ROUTER_RATE_LIMIT_REASON, error.reason);
    }
    // The status the client is answered with (src/responses.ts: the error's status, else 500); none when the
    // request goes on unrouted under fail-open.
    if (responsePath === 'error')
      span.setAttribute(
        A.ATTR_HTTP_RESPONSE_STATUS_CODE,
        (error instanceof RouterError ? error.httpStatus : undefined) ?? ERROR_CODES.internal_error,
      );
    // The code only: error messages may quote the request (e.g. the unknown model's name).
    span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
  }

  responseHeaders(status: number | undefined, streaming: boolean): void {
    const span = this.recording ? this.span : undefined;
    if (!span || this.upstreamSpan || !this.deps.tracer) return;
    const upstream = this.deps.tracer.startSpan(
      A.SPAN.upstreamResponse,
      { startTime: hrTime() },
      this.spanContext,
    );
    if (status !== undefined) {
      span.setAttribute(A.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      upstream.setAttribute(A.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (status >= 500) upstream.setStatus({ code: SpanStatusCode.ERROR });
    }
    if (streaming) upstream.setAttribute(A.ATTR_ROUTER_RESPONSE_STREAMING, true);
    this.upstreamSpan = upstream;
  }

  responseEnd(): void {
    this.upstreamSpan?.end(hrTime());
  }

  answer(summary: AnswerSummary, pool: string): void {
    const plan = this.routedPlan;
    if (plan && this.deps.metricsEnabled) {
      this.deps.metrics.answer({
        decision: plan.decision?.name ?? (plan.explicitModel ? DECISION_EXPLICIT_MODEL : DECISION_DEFAULT),
        model: plan.model.name,
        providerModel: plan.model.providerModelId,
        pool,
        operation: operationName(this.path),
        statusClass: summary.statusClass,
        body: summary.body,
        durationSeconds: summary.latencyMs / 1000,
        ttftSeconds: summary.ttftMs === undefined ? undefined : summary.ttftMs / 1000,
        tpotSeconds: summary.tpotMs === undefined ? undefined : summary.tpotMs / 1000,
        usage: summary.usage,
        cost: summary.cost,
      });
    }
    const span = this.upstreamSpan?.isRecording() ? this.upstreamSpan : undefined;
    if (!span) return;
    span.setAttribute(A.ATTR_ROUTER_RESPONSE_COMPLETE, summary.complete);
    span.setAttribute(A.ATTR_ROUTER_RESPONSE_BODY, summary.body);
    span.setAttribute(A.ATTR_ROUTER_UPSTREAM_LATENCY_MS, summary.latencyMs);
    if (summary.usage) {
      span.setAttribute(A.ATTR_GEN_AI_USAGE_INPUT_TOKENS, summary.usage.promptTokens);
      span.setAttribute(A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, summary.usage.completionTokens);
    }
    if (summary.ttftMs !== undefined) span.setAttribute(A.ATTR_ROUTER_TTFT_MS, summary.ttftMs);
    if (summary.tpotMs !== undefined) span.setAttribute(A.ATTR_ROUTER_TPOT_MS, summary.tpotMs);
    if (summary.cost !== undefined) span.setAttribute(A.ATTR_ROUTER_COST, summary.cost);
    if (summary.error) span.setAttribute(A.ATTR_ERROR_TYPE, summary.error.type);
  }

  close(streamFailed: boolean): void {
    if (this.deps.metricsEnabled) {
      this.deps.metrics.streamClosed();
      if (streamFailed) this.deps.metrics.error(ERROR_REASON.streamError);
    }
    // A non-recording span has nothing to end.
    if (!this.span || !this.recording) return;
    const now = hrTime();
    if (this.upstreamSpan?.isRecording()) this.upstreamSpan.end(now);
    if (streamFailed) {
      this.span.setAttribute(A.ATTR_ERROR_TYPE, ERROR_REASON.streamError);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: ERROR_REASON.streamError });
    }
    this.span.end(now);
  }

  private countRequest(
    decision: string,
    model: string,
    pool: string,
    responsePath: MetricResponsePath,
  ): void {
    if (!this.deps.metricsEnabled) return;
    this.deps.metrics.request(
      { decision, model, pool, responsePath },
      (performance.now() - this.startedAt) / 1000,
    );
  }

  private recordStages(record: RouteRecord): void {
    const metrics = this.deps.metrics;
    for (const mark of record.stages)
      if (mark.end >= 0) metrics.stage(mark.stage, (mark.end - mark.start) / 1000);
    const familyOf = new Map<string, string>();
    for (const outcome of record.signals?.families ?? []) {
      familyOf.set(outcome.conditionType, outcome.family);
      metrics.signalFamily(outcome.family, outcome.durationMs / 1000);
      for (const match of outcome.matches) metrics.signalMatch(outcome.family, match.name);
      if (outcome.failure !== undefined) metrics.signalFailed(outcome.failure);
    }
    for (const applied of record.onErrorApplied) {
      const conditionType = applied.key.slice(0, applied.key.indexOf(':'));
      metrics.signalOnError(familyOf.get(conditionType) ?? conditionType, applied.action);
    }
  }

  /** What the stages recorded, onto the stream span; a failed signal family gets an error span of its own. */
  private writeRecord(span: Span, record: RouteRecord): void {
    if (record.context) writeRequestFacts(span, record.context, this.path, this.deps.recordPromptText);
    writeStageTimes(span, record);
    const signals = record.signals;
    if (signals) {
      writeSignalFacts(span, signals);
      for (const outcome of signals.families)
        if (outcome.failure !== undefined) this.failedFamilySpan(outcome);
    }
    writePluginFacts(span, record, performance.now());
  }

  private failedFamilySpan(outcome: FamilyOutcome): void {
    const tracer = this.deps.tracer;
    if (!tracer) return;
    const errorType = familyErrorType(outcome);
    const span = tracer.startSpan(
      `${A.SPAN.signalPrefix}${outcome.family}`,
      { startTime: hrTime(outcome.startedAt) },
      this.spanContext,
    );
    span.setAttribute(A.ATTR_ROUTER_SIGNAL_FAMILY, outcome.family);
    span.setAttribute(A.ATTR_ROUTER_SIGNAL_FAILURE, outcome.failure as string);
    span.setAttribute(A.ATTR_ERROR_TYPE, errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    span.end(hrTime(outcome.startedAt + outcome.durationMs));
  }

  /** The stage that threw (its mark never ended), as a child span carrying the error. */
  private failedStageSpan(record: RouteRecord, errorType: string): void {
    const tracer = this.deps.tracer;
    const mark = record.stages.find((stage) => stage.end < 0);
    if (!tracer || !mark) return;
    const span = tracer.startSpan(
      STAGE_SPAN_NAMES[mark.stage],
      { startTime: hrTime(mark.start) },
      this.spanContext,
    );
    if (mark.stage === 'plugins') {
      const plugin = record.plugins.find((p) => p.end < 0);
      if (plugin) span.setAttribute(A.ATTR_ROUTER_PLUGIN_TYPE, plugin.type);
    }
    span.setAttribute(A.ATTR_ERROR_TYPE, errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    span.end(hrTime());
  }
}
