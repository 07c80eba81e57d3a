// Telemetry of one ext_proc stream: the stream's server span (when tracing is on) with its stage spans built
// after the fact from the RouteRecord, and the request / stage / signal / error metrics. Span times are HrTimes
// from the one monotonic clock (the SDK would re-anchor numeric times per span, to the millisecond). With tracing off no span
// or attribute object is created; with tracing and metrics off the server gets NOOP_STREAM_TELEMETRY.
import {
  type Attributes,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { ERROR_CODES, RateLimitedError, RouterError } from '../errors.ts';
import type { HeaderPair } from '../mutations.ts';
import type { ModelSelectionRecord, RoutedRequest } from '../pipeline.ts';
import type { RequestContext } from '../request/request-context.ts';
import type { AnswerSummary } from '../response/response-tracker.ts';
import { boundedReason, MAX_SHOWN_CANDIDATES } from '../selection/algorithms/selection-summary.ts';
import type { SignalReport } from '../signals/signal-engine.ts';
import {
  DECISION_DEFAULT,
  DECISION_EXPLICIT_MODEL,
  ERROR_REASON,
  type MetricResponsePath,
  NONE,
  type Stage,
} from './metric-names.ts';
import type { RouteRecord, StageMark } from './route-record.ts';
import type { RouterMetrics } from './router-metrics.ts';
import * as A from './semconv.ts';
import { parentContext, type TraceCarrier, traceHeaders } from './trace-context.ts';

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

const RPC_ATTRIBUTES: Attributes = Object.freeze({
  [A.ATTR_RPC_SYSTEM]: 'grpc',
  [A.ATTR_RPC_SERVICE]: 'envoy.service.ext_proc.v3.ExternalProcessor',
  [A.ATTR_RPC_METHOD]: 'Process',
});

const STAGE_SPAN_NAMES: Readonly<Record<Stage, string>> = {
  parse: A.SPAN.parse,
  signals: A.SPAN.signals,
  decision: A.SPAN.decision,
  model_selection: A.SPAN.modelSelection,
  plugins: A.SPAN.plugins,
  pool_selection: A.SPAN.poolSelection,
};

/** The model_selection span's view of the choice: bounded lists, names and figures only. */
function selectionAttributes(selection: ModelSelectionRecord): Attributes {
  const scores = (selection.scores ?? []).slice(0, MAX_SHOWN_CANDIDATES);
  const reason = boundedReason(selection.reason);
  return {
    [A.ATTR_ROUTER_SELECTION_ALGORITHM]: selection.algorithm,
    ...(reason !== undefined && { [A.ATTR_ROUTER_SELECTION_REASON]: reason }),
    ...(scores.length > 0 && {
      [A.ATTR_ROUTER_SELECTION_CANDIDATES]: scores.map((s) => s.model),
      [A.ATTR_ROUTER_SELECTION_SCORES]: scores.map((s) => s.score),
      [A.ATTR_ROUTER_SELECTION_PARTS]: scores.map((s) =>
        Object.entries(s.parts ?? {})
          .map(([name, value]) => `${name}:${value}`)
          .join(' '),
      ),
      [A.ATTR_ROUTER_SELECTION_EXCLUDED]: scores.map((s) => s.excluded ?? ''),
    }),
  };
}

function errorReason(error: unknown): string {
  return error instanceof RouterError ? error.code : 'internal_error';
}

function operationName(path: string): string {
  return path === '/v1/completions' ? A.GEN_AI_OPERATION.textCompletion : A.GEN_AI_OPERATION.chat;
}

/** The chat history in the GenAI `gen_ai.input.messages` shape; only with prompt recording on. */
function inputMessages(context: RequestContext): string {
  return JSON.stringify(
    context.request.messages.map((m) => ({ role: m.role, parts: [{ type: 'text', content: m.text }] })),
  );
}

export class RecordingStreamTelemetry implements StreamTelemetry {
  private readonly startedAt = performance.now();
  private span: Span | undefined;
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
    this.span = tracer.startSpan(
      A.SPAN.stream,
      {
        kind: SpanKind.SERVER,
        startTime: hrTime(this.startedAt),
        attributes: { ...RPC_ATTRIBUTES, [A.ATTR_HTTP_REQUEST_METHOD]: method, [A.ATTR_URL_PATH]: path },
      },
      parent,
    );
    this.spanContext = trace.setSpan(parent, this.span);
    return traceHeaders(this.spanContext);
  }

  logFields(): Readonly<Record<string, string>> {
    const context = this.span?.spanContext();
    return context ? { trace_id: context.traceId, span_id: context.spanId } : NO_FIELDS;
  }

  answered(responsePath: 'local' | 'passthrough'): void {
    this.countRequest(NONE, NONE, NONE, responsePath);
    this.span?.setAttribute(A.ATTR_ROUTER_RESPONSE_PATH, responsePath);
  }

  routed(record: RouteRecord, routed: RoutedRequest): void {
    const { plan } = routed;
    this.routedPlan = plan;
    const responsePath = plan.response?.responsePath ?? 'upstream';
    const decision = plan.decision?.name ?? (plan.explicitModel ? DECISION_EXPLICIT_MODEL : DECISION_DEFAULT);
    if (this.deps.metricsEnabled) this.recordStages(record);
    this.countRequest(decision, plan.model.name, plan.pool?.name ?? NONE, responsePath);
    const span = this.recordingSpan();
    if (!span) return;
    this.stageSpans(record, undefined, routed);
    span.setAttributes({
      [A.ATTR_ROUTER_RESPONSE_PATH]: responsePath,
      [A.ATTR_ROUTER_EXPLICIT_MODEL]: plan.explicitModel,
      [A.ATTR_ROUTER_DECISION_NAME]: decision,
      [A.ATTR_ROUTER_DECISION_CONFIDENCE]: plan.decision?.confidence ?? 1,
      [A.ATTR_ROUTER_DECISION_ENFORCED]: plan.decision?.enforced ?? false,
      [A.ATTR_ROUTER_MODEL_NAME]: plan.model.name,
      [A.ATTR_ROUTER_MODEL_PROVIDER_ID]: plan.model.providerModelId,
      [A.ATTR_ROUTER_REQUIRED_TOKENS]: plan.requiredTokens,
    });
    if (plan.pool) {
      span.setAttributes({
        [A.ATTR_ROUTER_POOL_NAME]: plan.pool.name,
        [A.ATTR_ROUTER_POOL_CLUSTER]: plan.pool.envoyCluster,
      });
    }
    if (plan.signals) span.setAttribute(A.ATTR_ROUTER_SIGNALS_MATCHED, [...plan.signals.matches.keys()]);
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
    const span = this.recordingSpan();
    if (!span) return;
    if (record) this.stageSpans(record, reason, undefined);
    span.setAttributes({ [A.ATTR_ROUTER_RESPONSE_PATH]: responsePath, [A.ATTR_ERROR_TYPE]: reason });
    if (error instanceof RateLimitedError)
      span.setAttributes({
        [A.ATTR_ROUTER_RATE_LIMIT]: error.limit,
        [A.ATTR_ROUTER_RATE_LIMIT_REASON]: error.reason,
      });
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
    const span = this.recordingSpan();
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
    upstream.setAttribute(A.ATTR_ROUTER_RESPONSE_STREAMING, streaming);
    this.upstreamSpan = upstream;
  }

  /** The stream span while it records; an unsampled one gets no children or attributes. */
  private recordingSpan(): Span | undefined {
    return this.span?.isRecording() ? this.span : undefined;
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
    const attributes: Attributes = {
      [A.ATTR_ROUTER_RESPONSE_COMPLETE]: summary.complete,
      [A.ATTR_ROUTER_RESPONSE_BODY]: summary.body,
      [A.ATTR_ROUTER_UPSTREAM_LATENCY_MS]: summary.latencyMs,
    };
    if (summary.usage) {
      attributes[A.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = summary.usage.promptTokens;
      attributes[A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = summary.usage.completionTokens;
    }
    if (summary.ttftMs !== undefined) attributes[A.ATTR_ROUTER_TTFT_MS] = summary.ttftMs;
    if (summary.tpotMs !== undefined) attributes[A.ATTR_ROUTER_TPOT_MS] = summary.tpotMs;
    if (summary.cost !== undefined) attributes[A.ATTR_ROUTER_COST] = summary.cost;
    if (summary.error) attributes[A.ATTR_ERROR_TYPE] = summary.error.type;
    span.setAttributes(attributes);
  }

  close(streamFailed: boolean): void {
    if (this.deps.metricsEnabled) {
      this.deps.metrics.streamClosed();
      if (streamFailed) this.deps.metrics.error(ERROR_REASON.streamError);
    }
    if (!this.span) return;
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

  /** Child spans of the stream span, one per stage that ran; the stage that threw carries the error. */
  private stageSpans(
    record: RouteRecord,
    errorType: string | undefined,
    routed: RoutedRequest | undefined,
  ): void {
    const tracer = this.deps.tracer;
    if (!tracer) return;
    const failedAt = performance.now();
    for (const mark of record.stages) {
      const span = tracer.startSpan(
        STAGE_SPAN_NAMES[mark.stage],
        { startTime: hrTime(mark.start) },
        this.spanContext,
      );
      const attributes = this.stageAttributes(mark, record, routed);
      if (attributes) span.setAttributes(attributes);
      if (mark.stage === 'signals' && record.signals) this.familySpans(span, record.signals);
      if (mark.stage === 'plugins') this.pluginSpans(span, record, failedAt);
      if (mark.end < 0 && errorType !== undefined) {
        span.setAttribute(A.ATTR_ERROR_TYPE, errorType);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
      }
      span.end(hrTime(mark.end < 0 ? failedAt : mark.end));
    }
  }

  private stageAttributes(
    mark: StageMark,
    record: RouteRecord,
    routed: RoutedRequest | undefined,
  ): Attributes | undefined {
    const plan = routed?.plan;
    switch (mark.stage) {
      case 'parse':
        return record.context && this.requestAttributes(record.context);
      case 'signals':
        return record.signals && { [A.ATTR_ROUTER_SIGNALS_MATCHED]: [...record.signals.matches.keys()] };
      case 'decision':
        return (
          plan && {
            [A.ATTR_ROUTER_DECISION_NAME]: plan.decision?.name ?? DECISION_DEFAULT,
            [A.ATTR_ROUTER_DECISION_CONFIDENCE]: plan.decision?.confidence ?? 0,
            [A.ATTR_ROUTER_DECISION_MATCHED]: plan.decisions.filter((d) => d.matched).map((d) => d.name),
          }
        );
      case 'model_selection':
        return (
          plan && {
            [A.ATTR_ROUTER_MODEL_NAME]: plan.model.name,
            [A.ATTR_ROUTER_MODEL_PROVIDER_ID]: plan.model.providerModelId,
            ...(plan.selection && selectionAttributes(plan.selection)),
          }
        );
      case 'pool_selection':
        return (
          plan?.pool && {
            [A.ATTR_ROUTER_POOL_NAME]: plan.pool.name,
            [A.ATTR_ROUTER_POOL_CLUSTER]: plan.pool.envoyCluster,
            [A.ATTR_ROUTER_REQUIRED_TOKENS]: plan.requiredTokens,
          }
        );
      default:
        return undefined;
    }
  }

  /** Request facts go on the parse span and on the stream span, where trace queries look first. */
  private requestAttributes(context: RequestContext): Attributes {
    const request = context.request;
    const attributes: Attributes = {
      [A.ATTR_GEN_AI_OPERATION_NAME]: operationName(this.path),
      [A.ATTR_GEN_AI_REQUEST_MODEL]: request.model,
      [A.ATTR_ROUTER_STREAM]: request.stream,
      [A.ATTR_ROUTER_MESSAGES]: request.messages.length,
      [A.ATTR_ROUTER_ESTIMATED_TOKENS]: context.promptTokens,
    };
    const maxTokens = request.body.max_completion_tokens ?? request.body.max_tokens;
    if (typeof maxTokens === 'number') attributes[A.ATTR_GEN_AI_REQUEST_MAX_TOKENS] = maxTokens;
    this.span?.setAttributes(attributes);
    if (this.deps.recordPromptText)
      this.span?.setAttribute(A.ATTR_GEN_AI_INPUT_MESSAGES, inputMessages(context));
    return attributes;
  }

  private familySpans(parent: Span, report: SignalReport): void {
    const tracer = this.deps.tracer;
    if (!tracer || !this.spanContext) return;
    const context = trace.setSpan(this.spanContext, parent);
    for (const outcome of report.families) {
      const span = tracer.startSpan(
        `${A.SPAN.signalPrefix}${outcome.family}`,
        { startTime: hrTime(outcome.startedAt) },
        context,
      );
      span.setAttribute(A.ATTR_ROUTER_SIGNAL_FAMILY, outcome.family);
      span.setAttribute(
        A.ATTR_ROUTER_SIGNAL_MATCHED,
        outcome.matches.map((m) => m.name),
      );
      if (outcome.failure !== undefined) {
        const errorType =
          outcome.failure === 'timeout'
            ? ERROR_REASON.signalTimeout
            : outcome.failure === 'too_long'
              ? ERROR_REASON.signalTooLong
              : ERROR_REASON.signalError;
        span.setAttribute(A.ATTR_ROUTER_SIGNAL_FAILURE, outcome.failure);
        span.setAttribute(A.ATTR_ERROR_TYPE, errorType);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
      }
      span.end(hrTime(outcome.startedAt + outcome.durationMs));
    }
  }

  private pluginSpans(parent: Span, record: RouteRecord, failedAt: number): void {
    const tracer = this.deps.tracer;
    if (!tracer || !this.spanContext) return;
    const context = trace.setSpan(this.spanContext, parent);
    for (const mark of record.plugins) {
      const span = tracer.startSpan(
        `${A.SPAN.pluginPrefix}${mark.type}`,
        { startTime: hrTime(mark.start) },
        context,
      );
      span.setAttribute(A.ATTR_ROUTER_PLUGIN_TYPE, mark.type);
      if (mark.effect) span.setAttribute(A.ATTR_ROUTER_PLUGIN_EFFECT, mark.effect);
      if (mark.attributes) span.setAttributes(mark.attributes);
      span.end(hrTime(mark.end < 0 ? failedAt : mark.end));
    }
  }
}
