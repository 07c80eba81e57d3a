// Per-stream state machine: one instance per ext_proc stream (= one HTTP request), one handler per phase.
import {
  BodyTooLargeError,
  HeadersTooLargeError,
  InternalRouterError,
  InvalidRequestError,
  PolicyBlockedError,
  RouterError,
} from '../errors.ts';
import { CLIENT_ALLOWED_ROUTER_HEADERS, HEADER, SPOOFABLE_HEADER_PREFIXES } from '../headers.ts';
import { LazyAbortController } from '../lazy-abort.ts';
import { CONTINUE, type DynamicMetadata, type HeaderPair, type PhaseResult } from '../mutations.ts';
import { errorAnswerFor, type RequestRouter, type RoutedRequest, type RoutingPlan } from '../pipeline.ts';
import type { DecisionPlugin, ResponseBodyEffect, ResponsePhaseContext } from '../plugins/plugin.ts';
import type { CompiledPool } from '../policy/policy.ts';
import type { PoolLease } from '../pools/pool-state.ts';
import type { LlmApi } from '../request/apis/index.ts';
import type { FilterMetadata } from '../request/identity.ts';
import { OFF_LOOP_BODY_BYTES } from '../request/off-loop-body-decoder.ts';
import { joinShared } from '../request/shared-bytes.ts';
import { modelPricing } from '../response/cost.ts';
import { type AnswerSummary, ResponseTracker } from '../response/response-tracker.ts';
import { streamErrorFrames } from '../response/stream-error-frame.ts';
import type { ModelOutcome } from '../selection/model-stats.ts';
import { rememberRoute } from '../selection/online/feedback.ts';
import { RouteRecord } from '../telemetry/route-record.ts';
import { NOOP_STREAM_TELEMETRY, type StreamTelemetry } from '../telemetry/stream-telemetry.ts';

export interface StreamProcessorOptions {
  /** Largest request body accepted (BUFFERED bodies are bounded by Envoy; STREAMED ones by this). */
  readonly maxBodyBytes: number;
  /** On an unexpected (non-RouterError) failure: let the request go on to Envoy's default route instead of 500. */
  readonly failOpen: boolean;
  /** Told about unexpected failures (the server logs them). */
  readonly onUnexpectedError: (error: unknown) => void;
  /** This stream's spans and metrics; default none. */
  readonly telemetry?: StreamTelemetry;
  /** Writes one access-log line per answered request when the policy asks for it (`response.access_log`). */
  readonly accessLog?: (fields: Readonly<Record<string, string | number | boolean>>) => void;
  /** Told about a response plugin hook that failed (the answer goes on; the server logs it). */
  readonly onPluginError?: (error: unknown) => void;
  /** performance.now()-like clock, ms (tests inject one). */
  readonly now?: () => number;
}

/** HTTP/2 pseudo-header with the upstream's status code, as Envoy sends response headers. */
const STATUS_PSEUDO_HEADER = ':status';

const NO_METADATA: FilterMetadata = new Map();
const NO_HEADERS: ReadonlyMap<string, string> = new Map();

function statusOf(headers: ReadonlyMap<string, string>): number | undefined {
  const status = Number(headers.get(STATUS_PSEUDO_HEADER));
  return Number.isInteger(status) ? status : undefined;
}

/** The facts of one answer for Envoy's dynamic metadata and the access log: names, counts and times, never text. */
function answerFacts(
  decision: string,
  plan: RoutingPlan,
  pool: CompiledPool,
  summary: AnswerSummary,
): Record<string, string | number | boolean> {
  const facts: Record<string, string | number | boolean> = {
    decision,
    model: plan.model.name,
    provider_model_id: plan.model.providerModelId,
    pool: pool.name,
    status: summary.status ?? 0,
    complete: summary.complete,
    streaming: summary.streaming,
    latency_ms: Math.round(summary.latencyMs * 1000) / 1000,
  };
  if (summary.ttftMs !== undefined) facts.ttft_ms = Math.round(summary.ttftMs * 1000) / 1000;
  if (summary.tpotMs !== undefined) facts.tpot_ms = Math.round(summary.tpotMs * 1000) / 1000;
  if (summary.usage) {
    facts.prompt_tokens = summary.usage.promptTokens;
    facts.completion_tokens = summary.usage.completionTokens;
    facts.cached_prompt_tokens = summary.usage.cachedPromptTokens;
    facts.reasoning_tokens = summary.usage.reasoningTokens;
  }
  if (summary.cost !== undefined) facts.cost = summary.cost;
  if (summary.error) facts.error_type = summary.error.type;
  return facts;
}

export class StreamProcessor {
  private requestHeaders: ReadonlyMap<string, string> = NO_HEADERS;
  private method = '';
  private path = '';
  private api: LlmApi | undefined;
  private metadata: FilterMetadata = NO_METADATA;
  private isLlmRequest = false;
  private bodyChunks: Uint8Array[] = [];
  private bodyBytes = 0;
  private routed: RoutedRequest | undefined;
  private answeredLocally = false;
  private failed: RouterError | undefined;
  private readonly telemetry: StreamTelemetry;
  private readonly now: () => number;
  /** The request's place on its pool, from the routing answer to the end of the answer. */
  private poolLease: PoolLease | undefined;
  /** Ends the model's in-flight slot and records how the answer went (model figures for selection). */
  private modelDone: ((outcome: ModelOutcome | undefined) => void) | undefined;
  /** The pool that answered: the chosen one, or its fallback when Envoy retried there (failover). */
  private answeringPool: CompiledPool | undefined;
  private tracker: ResponseTracker | undefined;
  private responseHeaders: ReadonlyMap<string, string> = NO_HEADERS;
  private streamEnded = false;
  /** The answer is a stream of server-sent events (its body flows to the client chunk by chunk). */
  private sse = false;
  /** A response plugin ended the streamed answer: every later chunk is dropped. */
  private streamCut = false;
  /** A response plugin blocked the answer. */
  private answerBlocked = false;
  /** The answer to explicit feedback this request carried (x-router-feedback on the response). */
  private feedbackResult: Promise<string> | undefined;
  /** Aborted when the stream ends: a looper still calling models for this request stops. */
  private readonly clientGone = new LazyAbortController();

  constructor(
    private readonly router: RequestRouter,
    private readonly options: StreamProcessorOptions,
  ) {
    this.telemetry = options.telemetry ?? NOOP_STREAM_TELEMETRY;
    this.now = options.now ?? (() => performance.now());
  }

  /** The header limits of the policy this stream is bound to (the server stops reading headers beyond them). */
  get headerLimits(): RequestRouter['headerLimits'] {
    return this.router.headerLimits;
  }

  /** Filter metadata Envoy forwarded (metadata_options): the trusted identity source. */
  setMetadata(metadata: FilterMetadata): void {
    if (metadata.size > 0) this.metadata = metadata;
  }

  /**
   * `headers`: lower-case names, repeated headers joined with `,`. `overLimit`: set when the headers exceed the
   * router's limits (the rest was not read), answered 431.
   */
  onRequestHeaders(headers: Map<string, string>, endOfStream: boolean, overLimit?: string): PhaseResult {
    this.method = (headers.get(HEADER.method) ?? 'GET').toUpperCase();
    const rawPath = headers.get(HEADER.path) ?? '/';
    this.takeFeedback(headers);
    // Routing and identity headers a client must not set: removed upstream and never read.
    const removeHeaders: string[] = [];
    for (const name of headers.keys()) {
      if (SPOOFABLE_HEADER_PREFIXES.some((prefix) => name.startsWith(prefix))) {
        removeHeaders.push(name);
        if (!CLIENT_ALLOWED_ROUTER_HEADERS.has(name)) headers.delete(name);
      }
    }
    for (const name of this.router.untrustedHeaders) {
      if (headers.delete(name)) removeHeaders.push(name);
    }
    this.requestHeaders = headers;
    // Trace context for the upstream request (empty with tracing off): the model server's spans join the trace.
    // The query string stays out of telemetry: it may carry credentials (`?api_key=`).
    const query = rawPath.search(/[?#]/);
    const traceHeaders = this.telemetry.requestHeaders(
      this.method,
      query < 0 ? rawPath : rawPath.slice(0, query),
      headers,
    );
    if (overLimit !== undefined) return this.fail(new HeadersTooLargeError(overLimit));
    const admission = this.router.admit({ method: this.method, path: rawPath, headers });
    switch (admission.kind) {
      case 'local':
        this.answeredLocally = true;
        this.telemetry.answered('local');
        return admission.result;
      case 'reject':
        this.api = admission.api;
        return this.fail(admission.error);
      case 'passthrough':
        this.path = admission.path;
        this.telemetry.answered('passthrough');
        return {
          kind: 'continue',
          removeHeaders,
          ...(traceHeaders.length > 0 && { setHeaders: traceHeaders }),
          modeOverride: { requestBodyMode: 'NONE', responseBodyMode: 'NONE' },
        };
      case 'route':
        this.path = admission.path;
        this.api = admission.api;
        this.isLlmRequest = true;
        if (endOfStream) return this.fail(new InvalidRequestError('Request has no body', 'missing_body'));
        return {
          kind: 'continue',
          removeHeaders,
          ...(traceHeaders.length > 0 && { setHeaders: traceHeaders }),
        };
    }
  }

  async onRequestBody(chunk: Uint8Array, endOfStream: boolean): Promise<PhaseResult> {
    if (!this.isLlmRequest || this.failed || this.api === undefined) return CONTINUE;
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.options.maxBodyBytes) {
      this.bodyChunks = [];
      return this.fail(new BodyTooLargeError(this.options.maxBodyBytes));
    }
    if (chunk.length > 0) this.bodyChunks.push(chunk);
    // STREAMED mode: hold the chunks back until the whole body is here, then send the rewritten body at once.
    if (!endOfStream) return { kind: 'continue', clearBody: true };
    const body =
      this.bodyBytes >= OFF_LOOP_BODY_BYTES
        ? await joinShared(this.bodyChunks, this.bodyBytes)
        : this.bodyChunks.length === 1
          ? (this.bodyChunks[0] as Uint8Array)
          : Buffer.concat(this.bodyChunks);
    this.bodyChunks = [];
    const record = new RouteRecord();
    try {
      this.routed = await this.router.route(
        {
          method: this.method,
          path: this.path,
          api: this.api,
          headers: this.requestHeaders,
          metadata: this.metadata,
          body,
          clientGone: this.clientGone,
        },
        record,
      );
    } catch (error) {
      return this.fail(error, record);
    }
    this.telemetry.routed(record, this.routed);
    const { plan } = this.routed;
    if (plan.pool && !plan.response) {
      const policy = this.router.policy;
      this.poolLease = this.router.pools.begin(plan.pool.name);
      this.modelDone = this.router.stats.begin(plan.model.name);
      this.answeringPool = plan.pool;
      this.tracker = new ResponseTracker({
        api: this.api,
        stripUsageFrame: plan.stripUsageFrame,
        now: this.now,
        startedAt: this.now(),
        cost:
          policy.response.costBasis === 'gpu_time'
            ? { basis: 'gpu_time', costPerHour: plan.pool.costPerHour }
            : { basis: 'tokens', pricing: modelPricing(plan.model) },
      });
    }
    return this.routed.requestResult;
  }

  async onResponseHeaders(headers: Map<string, string>): Promise<PhaseResult> {
    if (this.answeredLocally) return CONTINUE;
    const setHeaders: HeaderPair[] = this.routed ? [...this.routed.diagnosticHeaders] : [];
    if (this.feedbackResult) setHeaders.push([HEADER.routerFeedback, await this.feedbackResult]);
    if (!this.isLlmRequest) return { kind: 'continue', modeOverride: { responseBodyMode: 'NONE' } };
    const contentType = headers.get(HEADER.contentType);
    const parsedStatus = Number(headers.get(STATUS_PSEUDO_HEADER));
    const status = Number.isInteger(parsedStatus) ? parsedStatus : undefined;
    this.responseHeaders = headers;
    this.noteFailover(headers.get(HEADER.routerUpstreamCluster), headers.get(HEADER.routerUpstreamAttempts));
    // Server-sent events must flow to the client as they come: switch the response body to STREAMED.
    const sse =
      this.tracker?.headers(status, contentType, headers.get(HEADER.contentEncoding)) ??
      (contentType ?? '').toLowerCase().startsWith('text/event-stream');
    this.sse = sse;
    this.telemetry.responseHeaders(status, sse);
    for (const plugin of this.responsePlugins('onResponseHeaders')) {
      const added = await this.runHook(() => plugin.onResponseHeaders?.(this.responseContext()));
      if (added) setHeaders.push(...added);
    }
    const skipBody =
      this.tracker !== undefined &&
      !this.router.policy.response.readBody &&
      !this.responsePlugins('onResponseBody').some((plugin) => !(sse && plugin.ignoresStreamedBody));
    if (skipBody) {
      // The status is all the response stage reads: Envoy keeps the body (and each streamed chunk) to itself.
      const dynamicMetadata = await this.endAnswer(true);
      this.telemetry.responseEnd();
      return {
        kind: 'continue',
        setHeaders,
        modeOverride: { responseBodyMode: 'NONE' },
        ...(dynamicMetadata && { dynamicMetadata }),
      };
    }
    return {
      kind: 'continue',
      setHeaders,
      ...(sse && { modeOverride: { responseBodyMode: 'STREAMED' } }),
    };
  }

  async onResponseBody(chunk: Uint8Array, endOfStream: boolean): Promise<PhaseResult> {
    const tracker = this.tracker;
    const replacement = tracker?.body(chunk, endOfStream);
    const effects: ResponseBodyEffect[] = [];
    if (!this.streamCut) {
      for (const plugin of this.responsePlugins('onResponseBody')) {
        const effect = await this.runHook(() =>
          plugin.onResponseBody?.(this.responseContext(), replacement ?? chunk, endOfStream),
        );
        if (effect) effects.push(effect);
      }
      if (effects.some((effect) => effect.kind === 'block')) this.answerBlocked = true;
    }
    let dynamicMetadata: DynamicMetadata | undefined;
    if (endOfStream) {
      dynamicMetadata = await this.endAnswer(true);
      this.telemetry.responseEnd();
    }
    if (effects.length > 0 || this.streamCut)
      return this.applyBodyEffects(effects, replacement, dynamicMetadata);
    if (replacement === undefined && dynamicMetadata === undefined) return CONTINUE;
    return {
      kind: 'continue',
      ...(replacement !== undefined && { body: replacement }),
      ...(dynamicMetadata && { dynamicMetadata }),
    };
  }

  /**
   * What response plugins asked of this chunk. A block ends a BUFFERED answer with the API's error answer (403) and
   * cuts a streamed one with an error frame; annotations set headers (BUFFERED only: Envoy applies a body answer's
   * header mutation only while it holds the headers) and may replace the chunk (the whole body when BUFFERED).
   */
  private applyBodyEffects(
    effects: readonly ResponseBodyEffect[],
    /** The response stage's own replacement of the chunk (the plugins saw it in place of the chunk). */
    replacement: Uint8Array | undefined,
    dynamicMetadata: DynamicMetadata | undefined,
  ): PhaseResult {
    const metadata = dynamicMetadata && { dynamicMetadata };
    if (this.streamCut) return { kind: 'continue', body: new Uint8Array(0), ...metadata };
    const block = effects.find((effect) => effect.kind === 'block');
    if (block) {
      const error = new PolicyBlockedError(block.message);
      if (this.sse) {
        this.streamCut = true;
        return {
          kind: 'continue',
          body: streamErrorFrames(this.api ?? 'chat_completions', error),
          ...metadata,
        };
      }
      const answer = errorAnswerFor(error, this.api, this.requestHeaders, [
        ...(this.routed?.diagnosticHeaders ?? []).filter(([name]) => name !== HEADER.routerResponsePath),
        [HEADER.routerResponsePath, 'blocked'],
      ]);
      return { ...answer, ...metadata };
    }
    const setHeaders: HeaderPair[] = [];
    let body = replacement;
    let replaced = false;
    for (const effect of effects) {
      if (effect.kind !== 'annotate') continue;
      if (!this.sse) setHeaders.push(...(effect.setHeaders ?? []));
      if (effect.body !== undefined) {
        body = effect.body;
        replaced = true;
      }
    }
    if (replaced && body !== undefined && !this.sse)
      setHeaders.push([HEADER.contentLength, String(body.length)]);
    return {
      kind: 'continue',
      ...(setHeaders.length > 0 && { setHeaders }),
      ...(body !== undefined && { body }),
      ...metadata,
    };
  }

  /** Frees what the stream holds (called once, on end, error or cancel; `streamFailed` on a stream error). */
  release(streamFailed = false): void {
    this.clientGone.abort();
    // A stream that ends before the answer did: the client went away, or Envoy gave up on the upstream.
    void this.endAnswer(false);
    this.routed?.rateLimit?.release();
    this.bodyChunks = [];
    this.requestHeaders = NO_HEADERS;
    this.metadata = NO_METADATA;
    this.routed = undefined;
    this.telemetry.close(streamFailed);
  }

  /**
   * The fallback pool answered (Envoy's aggregate cluster): after a retry, the chosen pool failed the request; on a
   * first attempt (Envoy had ejected the chosen pool's hosts), nothing is held against it.
   */
  private noteFailover(upstreamCluster: string | undefined, attempts: string | undefined): void {
    const fallback = this.routed?.plan.fallbackPool;
    if (!fallback || upstreamCluster !== fallback.envoyCluster || this.answeringPool === fallback) return;
    const retried = attempts === undefined || Number(attempts) > 1;
    if (retried) this.poolLease?.end({ status: undefined, failed: true });
    else this.poolLease?.cancel();
    this.poolLease = this.router.pools.begin(fallback.name);
    this.answeringPool = fallback;
  }

  private responsePlugins<H extends 'onResponseHeaders' | 'onResponseBody' | 'onStreamEnd'>(
    hook: H,
  ): readonly DecisionPlugin[] {
    const plugins = this.routed?.plan.plugins ?? [];
    return plugins.length === 0 ? plugins : plugins.filter((plugin) => plugin[hook] !== undefined);
  }

  /** A response hook's result; a hook that throws is reported and ignored (the answer is already on its way). */
  private async runHook<T>(hook: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await hook();
    } catch (error) {
      this.options.onPluginError?.(error);
      return undefined;
    }
  }

  private responseContext(): ResponsePhaseContext {
    const routed = this.routed as RoutedRequest;
    const { plan } = routed;
    const summary = this.tracker?.finished;
    return {
      request: routed.context,
      signals: plan.signals,
      decision: plan.decision ?? { name: plan.explicitModel ? 'explicit_model' : 'default', confidence: 1 },
      model: plan.model,
      pool: this.answeringPool ?? (plan.pool as CompiledPool),
      responseHeaders: this.responseHeaders,
      response: {
        status: summary?.status ?? statusOf(this.responseHeaders),
        streaming: summary?.streaming ?? this.sse,
        complete: summary?.complete ?? false,
        ...(summary?.usage && { usage: summary.usage }),
        ...(summary?.ttftMs !== undefined && { ttftMs: summary.ttftMs }),
        ...(summary?.latencyMs !== undefined && { latencyMs: summary.latencyMs }),
        ...(summary?.cost !== undefined && { cost: summary.cost }),
        ...(this.answerBlocked && { blocked: true }),
      },
    };
  }

  /**
   * The answer ended (`complete`) or the stream did: the pool learns the outcome, metrics and the access log get
   * the request's tokens, timing and cost, and Envoy gets them as dynamic metadata. Runs once.
   */
  private async endAnswer(complete: boolean): Promise<DynamicMetadata | undefined> {
    if (this.streamEnded || !this.tracker || !this.routed) return undefined;
    this.streamEnded = true;
    const summary = this.tracker.finish(complete);
    const { plan } = this.routed;
    // Token limits: the prompt estimate charged at admission becomes what the answer really used.
    if (summary.usage)
      this.routed.rateLimit?.settle(summary.usage.promptTokens + summary.usage.completionTokens);
    this.routed.rateLimit?.release();
    const lease = this.poolLease;
    if (lease) {
      if (summary.status === undefined && !complete) lease.cancel();
      else
        lease.end({
          status: summary.status,
          failed: summary.poolFailed,
          ...(summary.ttftMs !== undefined && { ttftMs: summary.ttftMs }),
          latencyMs: summary.latencyMs,
        });
    }
    this.learnFromAnswer(plan, summary, complete);
    const pool = this.answeringPool ?? (plan.pool as CompiledPool);
    this.telemetry.answer(summary, pool.name);
    const decision = plan.decision?.name ?? (plan.explicitModel ? 'explicit_model' : 'default');
    const facts = answerFacts(decision, plan, pool, summary);
    const policy = this.router.policy;
    if (policy.response.accessLog) this.options.accessLog?.({ ...facts, ...this.telemetry.logFields() });
    for (const plugin of this.responsePlugins('onStreamEnd'))
      await this.runHook(() => plugin.onStreamEnd?.(this.responseContext()));
    return { [policy.response.dynamicMetadataNamespace]: facts };
  }

  /** The model's live figures and the decision's selection algorithm learn how the answer went. */
  private learnFromAnswer(plan: RoutingPlan, summary: AnswerSummary, complete: boolean): void {
    const cancelled = summary.status === undefined && !complete;
    const outcome: ModelOutcome = {
      failed: summary.poolFailed,
      ttftMs: summary.ttftMs,
      tpotMs: summary.tpotMs,
      latencyMs: summary.latencyMs,
      cost: summary.cost,
    };
    this.modelDone?.(cancelled ? undefined : outcome);
    const selection = plan.selection;
    if (cancelled || !selection || !plan.decision) return;
    const requestId = this.requestHeaders.get(HEADER.requestId);
    if (selection.selector.feedback)
      void rememberRoute(
        this.router.store,
        requestId,
        {
          algorithm: selection.algorithm,
          decision: plan.decision.name,
          model: plan.model.name,
          memo: selection.memo,
        },
        this.router.policy.stateStore.recordTtlMs,
      );
    if (!selection.selector.observe) return;
    void this.runHook(() =>
      selection.selector.observe?.({
        ...outcome,
        decision: plan.decision?.name ?? '',
        model: plan.model.name,
        requestId,
        memo: selection.memo,
        status: summary.status,
        finishReason: summary.finishReason,
        completionTokens: summary.usage?.completionTokens,
        store: this.router.store,
      }),
    );
  }

  /**
   * Feedback on an earlier answer (x-router-feedback-request-id + x-router-feedback-score) goes to that request's
   * learning algorithm while this one is routed; the headers are removed before upstream like every x-router-*.
   */
  private takeFeedback(headers: ReadonlyMap<string, string>): void {
    const requestId = headers.get(HEADER.routerFeedbackRequestId);
    const score = headers.get(HEADER.routerFeedbackScore);
    if ((requestId === undefined && score === undefined) || !this.router.feedback) return;
    this.feedbackResult = this.router.feedback({ request_id: requestId, score }).then(
      (result) => (result.ok ? 'accepted' : `rejected: ${result.code}`),
      (error: unknown) => {
        this.options.onUnexpectedError(error);
        return 'rejected: internal_error';
      },
    );
  }

  private fail(error: unknown, record?: RouteRecord): PhaseResult {
    this.telemetry.failed(error, record, this.options.failOpen);
    if (error instanceof RouterError) {
      this.failed = error;
      return errorAnswerFor(error, this.api, this.requestHeaders);
    }
    this.options.onUnexpectedError(error);
    this.failed = new InternalRouterError('The router failed to process this request', error);
    return this.options.failOpen ? CONTINUE : errorAnswerFor(this.failed, this.api, this.requestHeaders);
  }
}
