// The one module that knows the stage order. Every request flows through it:
//
//   request headers ─▶ admit: normalised path → API (chat, completions, Responses, Anthropic Messages), local
//        answers (GET /v1/models), 405 / 404 / 431, pass-through of non-LLM paths
//   request body ─▶ parse (request/, bounded JSON depth) ─▶ identity (trusted source only)
//        ─▶ signals (signals/: budgets, whole-text guard scans, on_error) ─▶ decision (decisions/: enforced first)
//        ─▶ request plugins (plugins/: block / fast response end the request here) ─▶ model (selection/)
//        ─▶ pool (pools/: reserved pools only for their decisions) ─▶ mutations: x-selected-model, x-selected-pool, body
//
// Requests naming a concrete model skip the decisions, except those with `enforce: always` (guardrails), which
// are evaluated for every request and win over the client's choice. A virtual model name (policy `entrypoints`)
// selects a routing profile whose signals, decisions and strategy stand in for the top-level ones (the top-level
// guardrails still apply: decisions/profile-selection.ts). Each stage's timing goes into a RouteRecord
// (plain data) from which the server's telemetry makes metrics and spans.
// Policy `rate_limits` (rate-limits/) admit around routing: unscoped limits right after identity, before any signal
// runs; limits scoped to a model, pool or decision once the pool is chosen; over a limit → 429 with Retry-After.

import type { DecisionEvaluation } from './decisions/decision-engine.ts';
import {
  decideInScope,
  evaluateScopeSignals,
  findDecision,
  guardrailsFor,
} from './decisions/profile-selection.ts';
import type { OnErrorApplied } from './decisions/rule-tree.ts';
import {
  InvalidRequestError,
  MethodNotAllowedError,
  ModelNotAllowedError,
  NoPoolError,
  RateLimitedError,
  type RouterError,
  UnknownEndpointError,
  UnknownModelError,
} from './errors.ts';
import { yieldToEventLoop } from './event-loop.ts';
import { HEADER, type ResponsePath } from './headers.ts';
import type { Cancellation } from './lazy-abort.ts';
import type { HeaderPair, ImmediateResult, PhaseResult } from './mutations.ts';
import type { DecisionPlugin, LocalAnswer, RespondEffect } from './plugins/plugin.ts';
import type {
  CompiledDecision,
  CompiledModel,
  CompiledModelRef,
  CompiledPool,
  LlmApiName,
  Policy,
  RoutingScope,
} from './policy/policy.ts';
import { choosePool } from './pools/pool-selector.ts';
import { PoolStateRegistry } from './pools/pool-state.ts';
import { decisionPriority, LoadShedder } from './rate-limits/load-shedding.ts';
import { admitAround, withRateLimitMetadata } from './rate-limits/rate-limit-stage.ts';
import { RateLimitCounters, RateLimiter, type RateLimitTicket } from './rate-limits/rate-limiter.ts';
import { SharedRateLimitCounters } from './rate-limits/shared-counters.ts';
import { apiForPath, type LlmApi, type LlmApiAdapter, llmApi } from './request/apis/index.ts';
import { rewriteTopLevel } from './request/body-rewrite.ts';
import { type FilterMetadata, resolveIdentity, untrustedIdentityHeaders } from './request/identity.ts';
import {
  type DecodedBody,
  OFF_LOOP_BODY_BYTES,
  type OffLoopBodyDecoder,
  processBodyDecoder,
} from './request/off-loop-body-decoder.ts';
import { decodeJsonBody, parseLlmRequest } from './request/openai-request.ts';
import { buildRequestContext, type RequestContext } from './request/request-context.ts';
import { looksLikeLlmPath, normalizeRequestPath } from './request/request-path.ts';
import { addUsageOption, needsUsageOption } from './response/include-usage.ts';
import { type ApiModelListing, modelsListAnswer } from './responses.ts';
import { selectionHeaderValue } from './selection/algorithms/selection-summary.ts';
import { looperAnswerResult } from './selection/looper/looper-answer.ts';
import { httpLooperCaller, PLAN_ONLY_LOOPER } from './selection/looper/looper-caller.ts';
import type { LooperAnswer } from './selection/looper/looper-run.ts';
import type { CandidateScore, ModelSelector, SelectionContext } from './selection/model-selector.ts';
import { ModelStatsRegistry } from './selection/model-stats.ts';
import { type FeedbackInput, type FeedbackResult, handleFeedback } from './selection/online/feedback.ts';
import type { SignalReport } from './signals/signal-engine.ts';
import { MemoryStore, type SharedStore } from './state/shared-store.ts';
import { type PluginMark, RouteRecord } from './telemetry/route-record.ts';

export interface RoutingPlan {
  /** True when the client named a concrete model and no enforced decision overrode it. */
  readonly explicitModel: boolean;
  /** The routing profile (recipe) the request's virtual model name selected, if any. */
  readonly profile?: string | undefined;
  readonly signals: SignalReport | undefined;
  readonly decisions: readonly DecisionEvaluation[];
  readonly decision:
    | { readonly name: string; readonly confidence: number; readonly enforced: boolean }
    | undefined;
  /** Decision leaves whose signal failed, and the on_error each applied. */
  readonly onErrorApplied: readonly OnErrorApplied[];
  readonly model: CompiledModel;
  readonly modelRef: CompiledModelRef | undefined;
  /** How the decision's algorithm chose the model (absent without a decision, or when a plugin answered). */
  readonly selection: ModelSelectionRecord | undefined;
  /** Undefined when a plugin answers: no pool is chosen for a request that never goes upstream. */
  readonly pool: CompiledPool | undefined;
  /** The pool Envoy retries a failed request on, for a model with `failover: true`. */
  readonly fallbackPool: CompiledPool | undefined;
  readonly requiredTokens: number;
  /** Set when a plugin answers instead of the model. */
  readonly response: RespondEffect | undefined;
  /** Set when a looper algorithm answered the request itself (its calls went through the looper endpoint). */
  readonly looperAnswer?: LooperAnswer | undefined;
  readonly bodyPatches: readonly ((body: Record<string, unknown>) => void)[];
  /** Upstream request headers the decision's plugins set and remove. */
  readonly upstreamHeaders: { readonly set: readonly HeaderPair[]; readonly remove: readonly string[] };
  /** The winning decision's plugins, for the response phases. */
  readonly plugins: readonly DecisionPlugin[];
  /** The router added `stream_options.include_usage`: the response stage strips the extra usage frame. */
  readonly stripUsageFrame: boolean;
}

/**
 * One request's selection context. A class, not an object literal with a `signal` getter: V8 builds such a literal
 * through a slow runtime path on every request. The client-gone AbortSignal is made only when a looper reads it.
 */
class RequestSelectionContext implements SelectionContext {
  readonly request: SelectionContext['request'];
  readonly signals: SelectionContext['signals'];
  readonly decision: string;
  readonly models: SelectionContext['models'];
  readonly pools: SelectionContext['pools'];
  readonly stats: SelectionContext['stats'];
  readonly store: SelectionContext['store'];
  readonly random: () => number;
  readonly looper: SelectionContext['looper'];

  constructor(
    fields: Omit<SelectionContext, 'signal'>,
    private readonly clientGone: Cancellation | undefined,
  ) {
    this.request = fields.request;
    this.signals = fields.signals;
    this.decision = fields.decision;
    this.models = fields.models;
    this.pools = fields.pools;
    this.stats = fields.stats;
    this.store = fields.store;
    this.random = fields.random;
    this.looper = fields.looper;
  }

  get signal(): AbortSignal | undefined {
    return this.clientGone?.signal;
  }
}

function resolveModel(policy: Policy, name: string): CompiledModel {
  const model = policy.modelsByName.get(name);
  if (!model) throw new UnknownModelError(name);
  return model;
}

function servesApi(model: CompiledModel, api: LlmApi): boolean {
  return model.apis.has(api as LlmApiName);
}

/** Pools of `model` the request may use: a reserved pool only for a decision it is reserved for. */
function usablePools(model: CompiledModel, decision: string | undefined): CompiledPool[] {
  return model.pools.filter(
    (pool) => pool.reservedFor === undefined || (decision !== undefined && pool.reservedFor.has(decision)),
  );
}

/**
 * What routing needs besides the policy: the process's live pool and model figures, the store replicas share
 * (in-process unless the policy names Redis) and a source of randomness.
 */
export interface RouterDeps {
  readonly pools: PoolStateRegistry;
  readonly stats: ModelStatsRegistry;
  readonly store: SharedStore;
  readonly random: () => number;
  /** Looper algorithms call models (the server); tools that only plan routes (explain, simulate) leave it off. */
  readonly callModels?: boolean;
  /** The process's rate-limit counters (policy `rate_limits`), kept across policy reloads. */
  readonly rateLimitCounters?: RateLimitCounters;
  /** Decodes large bodies off the event loop; the process's decoder unless told. */
  readonly bodyDecoder?: OffLoopBodyDecoder;
}

function choosePoolFor(
  model: CompiledModel,
  context: RequestContext,
  requiredTokens: number,
  decision: string | undefined,
  explicit: boolean,
  record: RouteRecord,
  deps: RouterDeps,
): { pool: CompiledPool; fallback: CompiledPool | undefined } {
  const mark = record.begin('pool_selection');
  const pools = usablePools(model, decision);
  if (pools.length === 0 && model.pools.length > 0) {
    // Every pool of the model is reserved for decisions this request did not match.
    if (explicit) throw new ModelNotAllowedError(model.name);
    throw new NoPoolError(`Every pool of model '${model.name}' is reserved for other routing decisions`);
  }
  const choice = choosePool({
    modelName: model.name,
    modelContextWindow: model.contextWindow,
    pricing: model.pricing,
    pools,
    strategy: model.poolStrategy,
    requiredTokens,
    promptTokens: context.promptTokens,
    expectedCompletionTokens: context.request.maxOutputTokens ?? 0,
    state: deps.pools,
    random: deps.random,
  });
  record.end(mark);
  return { pool: choice.pool, fallback: model.failover ? choice.fallback : undefined };
}

/** What the plan keeps of the model selection: for explain, the span, and the algorithm's outcome hook. */
export interface ModelSelectionRecord {
  readonly algorithm: string;
  readonly selector: ModelSelector;
  readonly scores: readonly CandidateScore[] | undefined;
  readonly reason: string | undefined;
  readonly memo: unknown;
}

interface DecisionRoute {
  readonly model: CompiledModel;
  readonly modelRef: CompiledModelRef | undefined;
  readonly selection?: ModelSelectionRecord;
  readonly response: RoutingPlan['response'];
  readonly looperAnswer?: LooperAnswer | undefined;
  readonly bodyPatches: ((body: Record<string, unknown>) => void)[];
  readonly upstreamHeaders: { set: HeaderPair[]; remove: string[] };
}

/**
 * The winner's request plugins in order (an answer ends the request: no model, no pool), then model selection among
 * its modelRefs that serve the request's API.
 */
async function routeDecision(
  policy: Policy,
  context: RequestContext,
  signals: SignalReport | undefined,
  winner: CompiledDecision,
  confidence: number,
  record: RouteRecord,
  deps: RouterDeps,
  clientGone: Cancellation | undefined,
): Promise<DecisionRoute> {
  const bodyPatches: ((body: Record<string, unknown>) => void)[] = [];
  const upstreamHeaders: DecisionRoute['upstreamHeaders'] = { set: [], remove: [] };
  const requestPlugins = winner.plugins.filter((plugin) => plugin.onRequest !== undefined);
  if (requestPlugins.length > 0) {
    const mark = record.begin('plugins');
    let runningMark: PluginMark | undefined;
    const pluginContext = {
      request: context,
      signals,
      decision: { name: winner.name, confidence },
      modelRefs: winner.modelRefs,
      store: deps.store,
      note: (attributes: Readonly<Record<string, string | number | boolean>>) => {
        if (runningMark) runningMark.attributes = { ...runningMark.attributes, ...attributes };
      },
    };
    for (const plugin of requestPlugins) {
      const pluginMark = record.beginPlugin(plugin.type);
      runningMark = pluginMark;
      const effect = await plugin.onRequest?.(pluginContext);
      record.end(pluginMark);
      pluginMark.effect = effect?.kind;
      if (effect?.kind === 'respond') {
        record.end(mark);
        // The answer names the decision's first model: no model is chosen for a request that never goes upstream.
        const model = resolveModel(policy, winner.modelRefs[0]?.model ?? policy.defaultModel.name);
        return { model, modelRef: undefined, response: effect, bodyPatches, upstreamHeaders };
      }
      if (effect?.patchBody) bodyPatches.push(effect.patchBody);
      if (effect?.setHeaders) upstreamHeaders.set.push(...effect.setHeaders);
      if (effect?.removeHeaders) upstreamHeaders.remove.push(...effect.removeHeaders);
    }
    record.end(mark);
  }
  const mark = record.begin('model_selection');
  const api = context.request.api;
  const candidates = winner.modelRefs.filter((ref) => {
    const model = policy.modelsByName.get(ref.model);
    return model !== undefined && servesApi(model, api);
  });
  if (candidates.length === 0) {
    throw new UnknownModelError(winner.modelRefs[0]?.model ?? policy.defaultModel.name, api);
  }
  const selectionContext = new RequestSelectionContext(
    {
      request: context,
      signals,
      decision: winner.name,
      models: policy.modelsByName,
      pools: deps.pools,
      stats: deps.stats,
      store: deps.store,
      random: deps.random,
      looper: policy.looper && (deps.callModels ? httpLooperCaller(policy.looper) : PLAN_ONLY_LOOPER),
    },
    clientGone,
  );
  const pending = winner.selector.select(candidates, selectionContext);
  const chosen = pending instanceof Promise ? await pending : pending;
  const modelRef = chosen.candidate;
  const model = resolveModel(policy, modelRef.model);
  record.end(mark);
  const selection: ModelSelectionRecord = {
    algorithm: winner.selector.algorithm,
    selector: winner.selector,
    scores: chosen.scores,
    reason: chosen.reason,
    memo: chosen.memo,
  };
  if (chosen.answer) {
    const answered = resolveModel(policy, chosen.answer.model);
    const response: RespondEffect = {
      kind: 'respond',
      responsePath: 'fast_response',
      status: 200,
      message: chosen.answer.content,
    };
    return {
      model: answered,
      modelRef,
      selection,
      response,
      looperAnswer: chosen.answer,
      bodyPatches,
      upstreamHeaders,
    };
  }
  return { model, modelRef, selection, response: undefined, bodyPatches, upstreamHeaders };
}

/**
 * Runs signals → decision → model → plugins → pool for one parsed request. Pure apart from the signal engine.
 * `record` receives each stage's timing (telemetry reads it, also when a stage throws).
 */
export async function planRoute(
  policy: Policy,
  context: RequestContext,
  record: RouteRecord = new RouteRecord(),
  deps: RouterDeps = defaultRouterDeps(),
  /** Fires when the client goes away (looper algorithms stop their calls). */
  clientGone?: Cancellation,
): Promise<RoutingPlan> {
  const { request } = context;
  const requiredTokens = context.promptTokens + (request.maxOutputTokens ?? 0);
  // A virtual model name (policy `entrypoints`) selects a routing profile: its own signals and decisions.
  const profile = policy.profiles.get(request.model);
  const scope: RoutingScope = profile ?? policy;
  const explicit = profile === undefined && !policy.autoModelNames.has(request.model);
  let named: CompiledModel | undefined;
  if (explicit) {
    const mark = record.begin('model_selection');
    named = resolveModel(policy, request.model);
    if (!servesApi(named, request.api)) throw new UnknownModelError(named.name, request.api);
    record.end(mark);
  }
  const decisions = explicit ? scope.enforcedDecisions : scope.decisions;
  let signals: SignalReport | undefined;
  let evaluations: readonly DecisionEvaluation[] = [];
  let onErrorApplied: readonly OnErrorApplied[] = [];
  let winner: CompiledDecision | undefined;
  let confidence = 0;
  if (decisions.length > 0 || guardrailsFor(policy, scope).length > 0) {
    let mark = record.begin('signals');
    const only = explicit ? scope.enforcedFamilies : undefined;
    const reports = await evaluateScopeSignals(policy, scope, context, only);
    record.end(mark);
    mark = record.begin('decision');
    const { signals: report, result } = decideInScope(policy, scope, decisions, reports);
    record.end(mark);
    signals = report;
    record.signals = signals;
    evaluations = result.evaluations;
    onErrorApplied = result.onErrorApplied;
    winner = result.winner;
    confidence = result.winnerEvaluation?.confidence ?? 0;
  }
  record.onErrorApplied = onErrorApplied;
  let route: DecisionRoute;
  if (winner) {
    route = await routeDecision(policy, context, signals, winner, confidence, record, deps, clientGone);
  } else {
    const model = named ?? policy.defaultModel;
    if (!servesApi(model, request.api)) throw new UnknownModelError(model.name, request.api);
    route = {
      model,
      modelRef: undefined,
      response: undefined,
      bodyPatches: [],
      upstreamHeaders: { set: [], remove: [] },
    };
  }
  const choice = route.response
    ? undefined
    : choosePoolFor(route.model, context, requiredTokens, winner?.name, explicit && !winner, record, deps);
  const pool = choice?.pool;
  // Token usage of streamed answers is known only when the server sends it: ask for it, strip it on the way back.
  const stripUsageFrame =
    pool !== undefined &&
    policy.response.readBody &&
    policy.response.includeUsage &&
    needsUsageOption(request.api, request.body);
  if (stripUsageFrame) route.bodyPatches.push(addUsageOption);
  return {
    explicitModel: explicit && !winner,
    profile: profile?.name,
    signals,
    decisions: evaluations,
    decision: winner ? { name: winner.name, confidence, enforced: winner.enforced } : undefined,
    onErrorApplied,
    model: route.model,
    modelRef: route.modelRef,
    selection: route.selection,
    pool,
    fallbackPool: choice?.fallback,
    requiredTokens,
    response: route.response,
    looperAnswer: route.looperAnswer,
    bodyPatches: route.bodyPatches,
    upstreamHeaders: route.upstreamHeaders,
    plugins: winner?.plugins ?? [],
    stripUsageFrame,
  };
}

export function rewrittenBody(plan: RoutingPlan, context: RequestContext): Buffer {
  // vLLM serves a LoRA adapter under its own model name: a model ref's lora_name replaces the base model id.
  const upstreamModel = plan.modelRef?.loraName ?? plan.model.providerModelId;
  const body: Record<string, unknown> = { ...context.request.body, model: upstreamModel };
  const family = plan.model.reasoningFamily;
  if (plan.modelRef && family) {
    llmApi(context.request.api).applyReasoning(
      body,
      family,
      plan.modelRef.useReasoning,
      plan.modelRef.reasoningEffort,
    );
  }
  for (const patch of plan.bodyPatches) patch(body);
  const original = context.request.body;
  return context.bodyBytes
    ? rewriteTopLevel(context.bodyBytes, original, body)
    : Buffer.from(JSON.stringify(body), 'utf8');
}

function localAnswerResult(
  status: number,
  answer: LocalAnswer,
  diagnostics: readonly HeaderPair[],
): PhaseResult {
  return {
    kind: 'immediate',
    status,
    headers: [[HEADER.contentType, answer.contentType], ...answer.headers, ...diagnostics],
    body: answer.body,
    details: 'semantic_router_cache',
  };
}

export function diagnosticHeaders(
  plan: RoutingPlan,
  responsePath: ResponsePath,
  debug: boolean,
): HeaderPair[] {
  const headers: HeaderPair[] = [
    [HEADER.routerDecision, plan.decision?.name ?? (plan.explicitModel ? 'explicit_model' : 'default')],
    [HEADER.routerModel, plan.model.name],
    ...(plan.pool ? [[HEADER.routerPool, plan.pool.name] as const] : []),
    [HEADER.routerConfidence, (plan.decision?.confidence ?? 1).toFixed(3)],
    [HEADER.routerResponsePath, responsePath],
  ];
  if (debug && plan.signals) {
    const matched = [...plan.signals.matches].map(([key, m]) => `${key}=${m.confidence.toFixed(3)}`);
    headers.push([HEADER.routerSignals, matched.join(',')]);
  }
  if (debug && plan.selection) {
    const { algorithm, reason, scores } = plan.selection;
    headers.push([HEADER.routerSelection, selectionHeaderValue(algorithm, reason, scores)]);
  }
  return headers;
}

/** The request-body phase answer for a plan: routing headers and rewritten body, or a plugin's direct answer. */
export function planToResult(
  plan: RoutingPlan,
  context: RequestContext,
  /** Envoy dynamic metadata namespace of the routing facts (policy `response.dynamic_metadata_namespace`). */
  namespace = 'io.envoy.semantic_router',
): { result: PhaseResult; diagnostics: HeaderPair[] } {
  const api = llmApi(context.request.api);
  if (plan.looperAnswer) {
    const diagnostics = diagnosticHeaders(plan, 'fast_response', context.debug);
    return {
      result: looperAnswerResult(plan.looperAnswer, context.request.stream, diagnostics),
      diagnostics,
    };
  }
  if (plan.response) {
    const diagnostics = diagnosticHeaders(plan, plan.response.responsePath, context.debug);
    const local = plan.response.answer;
    if (local) return { result: localAnswerResult(plan.response.status, local, diagnostics), diagnostics };
    const result =
      plan.response.responsePath === 'blocked'
        ? api.errorAnswer(
            {
              httpStatus: plan.response.status,
              message: plan.response.message,
              code: 'blocked_by_policy',
              errorType: 'permission_error',
            },
            diagnostics,
          )
        : api.fastAnswer(plan.model.name, plan.response.message, context.request.stream, diagnostics);
    return { result, diagnostics };
  }
  const pool = plan.pool as CompiledPool;
  const body = rewrittenBody(plan, context);
  return {
    result: {
      dynamicMetadata: {
        [namespace]: {
          decision: plan.decision?.name ?? (plan.explicitModel ? 'explicit_model' : 'default'),
          model: plan.model.name,
          provider_model_id: plan.model.providerModelId,
          pool: pool.name,
        },
      },
      kind: 'continue',
      setHeaders: [
        ...plan.upstreamHeaders.set,
        [HEADER.selectedModel, plan.model.name],
        [HEADER.selectedPool, pool.envoyCluster],
        ...(plan.fallbackPool
          ? [
              [
                HEADER.routerFailoverCluster,
                `${pool.envoyCluster}--${plan.fallbackPool.envoyCluster}`,
              ] as const,
            ]
          : []),
        [HEADER.contentLength, String(body.length)],
      ],
      ...(plan.upstreamHeaders.remove.length > 0 && { removeHeaders: plan.upstreamHeaders.remove }),
      body,
      clearRouteCache: true,
    },
    diagnostics: diagnosticHeaders(plan, 'upstream', context.debug),
  };
}

/** What the request headers tell the router, before any body arrives. */
export interface HeaderInput {
  readonly method: string;
  /** `:path` as the client sent it. */
  readonly path: string;
  /** Lower-case names; spoofable routing headers already removed. */
  readonly headers: ReadonlyMap<string, string>;
}

/** What to do with a request once its headers are known. */
export type Admission =
  /** An LLM API request: its body must be routed. */
  | { readonly kind: 'route'; readonly api: LlmApi; readonly path: string }
  /** Answered by the router itself (e.g. `GET /v1/models`). */
  | { readonly kind: 'local'; readonly result: ImmediateResult }
  /** Not an LLM request (health checks, metrics, …): goes on unrouted, bodies not sent to the router. */
  | { readonly kind: 'passthrough'; readonly path: string }
  /** Refused: 404 for LLM-looking paths the policy denies, 405 for wrong methods. */
  | { readonly kind: 'reject'; readonly error: RouterError; readonly api: LlmApi | undefined };

/** The API whose shapes an answer uses when the path names none: Anthropic SDKs send `anthropic-version`. */
function answerApi(api: LlmApi | undefined, headers: ReadonlyMap<string, string>): LlmApiAdapter {
  if (api !== undefined) return llmApi(api);
  return llmApi(headers.has(HEADER.anthropicVersion) ? 'messages' : 'chat_completions');
}

/** An error answered in the shape of the request's API (or the client's, when the path names none). */
export function errorAnswerFor(
  error: RouterError,
  api: LlmApi | undefined,
  headers: ReadonlyMap<string, string>,
  extraHeaders: readonly HeaderPair[] = [],
): ImmediateResult {
  // Every pool open for a while: tell the client when to come back (RFC 9110 Retry-After, seconds).
  const retryAfter =
    error instanceof NoPoolError || error instanceof RateLimitedError ? error.retryAfterSeconds : undefined;
  const headersOut: readonly HeaderPair[] =
    retryAfter === undefined ? extraHeaders : [...extraHeaders, [HEADER.retryAfter, String(retryAfter)]];
  return answerApi(api, headers).errorAnswer(error, headersOut);
}

function isPassthroughPath(policy: Policy, path: string): boolean {
  if (policy.api.passthroughPaths.has(path)) return true;
  return policy.api.passthroughPrefixes.some((prefix) => path.startsWith(prefix));
}

const MODELS_PATH = '/v1/models';

/** Methods that never carry a body to a model: let CORS preflights and the like reach Envoy's own filters. */
const BODYLESS_PASSTHROUGH_METHODS = new Set(['OPTIONS']);

export function admitRequest(policy: Policy, input: HeaderInput): Admission {
  const path = normalizeRequestPath(input.path);
  const method = input.method.toUpperCase();
  const anthropicClient = input.headers.has(HEADER.anthropicVersion);
  if (path === MODELS_PATH || path.startsWith(`${MODELS_PATH}/`)) {
    if (method === 'GET' || method === 'HEAD') {
      const listing = listModels(policy);
      if (path === MODELS_PATH)
        return { kind: 'local', result: modelsListAnswer(listing, anthropicClient ? 'anthropic' : 'openai') };
      const id = decodeModelId(input.path);
      const model = listing.find((m) => m.id === id);
      if (!model) return { kind: 'reject', error: new UnknownModelError(id), api: undefined };
      return { kind: 'local', result: modelAnswer(model, anthropicClient) };
    }
  }
  const api = apiForPath(path);
  if (api !== undefined) {
    if (method === 'POST') return { kind: 'route', api, path };
    if (BODYLESS_PASSTHROUGH_METHODS.has(method)) return { kind: 'passthrough', path };
    return { kind: 'reject', error: new MethodNotAllowedError(method, path), api };
  }
  if (!looksLikeLlmPath(path) || isPassthroughPath(policy, path)) return { kind: 'passthrough', path };
  if (policy.api.unroutedLlmPaths === 'passthrough') return { kind: 'passthrough', path };
  return { kind: 'reject', error: new UnknownEndpointError(path), api: undefined };
}

/** The model id of `/v1/models/{id}` as the client wrote it (ids such as `Qwen/Qwen3-8B` contain slashes). */
function decodeModelId(rawPath: string): string {
  const end = rawPath.search(/[?#]/);
  const path = end < 0 ? rawPath : rawPath.slice(0, end);
  const at = path.toLowerCase().indexOf(`${MODELS_PATH}/`);
  const raw = at < 0 ? '' : path.slice(at + MODELS_PATH.length + 1);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function modelAnswer(model: ApiModelListing, anthropic: boolean): ImmediateResult {
  const list = modelsListAnswer([model], anthropic ? 'anthropic' : 'openai');
  const parsed = JSON.parse(Buffer.from(list.body).toString('utf8')) as { data: unknown[] };
  const body = Buffer.from(JSON.stringify(parsed.data[0] ?? {}), 'utf8');
  return { ...list, body };
}

/** Everything a client can name in `model`: the auto names (every API) and each model with the APIs it serves. */
export function listModels(policy: Policy): ApiModelListing[] {
  const all = ['chat_completions', 'completions', 'responses', 'messages'] as const;
  return [
    ...[...policy.autoModelNames, ...policy.profiles.keys()].map((id) => ({
      id,
      ownedBy: 'semantic-router',
      apis: [...all],
    })),
    ...policy.models.map((m) => ({ id: m.name, ownedBy: 'semantic-router', apis: [...m.apis] })),
  ];
}

export interface RouteInput {
  readonly method: string;
  /** The normalised path. */
  readonly path: string;
  readonly api: LlmApi;
  readonly headers: ReadonlyMap<string, string>;
  /** Filter metadata Envoy forwarded (trusted identity claims); empty when none. */
  readonly metadata?: FilterMetadata;
  readonly body: Uint8Array;
  /** Fires when the client goes away (looper algorithms stop their calls); read only when a looper runs. */
  readonly clientGone?: Cancellation;
}

export interface RoutedRequest {
  readonly context: RequestContext;
  /** The answer to Envoy's request-body message. */
  readonly requestResult: PhaseResult;
  /** `x-router-*` headers for the client's response. */
  readonly diagnosticHeaders: readonly HeaderPair[];
  readonly plan: RoutingPlan;
  /** What the request holds against the policy's rate limits until it ends (settle on usage, then release). */
  readonly rateLimit?: RateLimitTicket | undefined;
}

const NO_METADATA: FilterMetadata = new Map();

export function parseRequest(
  policy: Policy,
  input: RouteInput,
  /** The body as the off-loop decoder parsed it (the same value and estimate the in-loop decoder gives). */
  decoded?: DecodedBody,
): RequestContext {
  if (input.body.length === 0) throw new InvalidRequestError('Request has no body', 'missing_body');
  const body = decoded?.body ?? decodeJsonBody(input.body, { maxDepth: policy.limits.maxJsonDepth });
  const request = parseLlmRequest(input.api, body);
  return buildRequestContext({
    ...(decoded && { promptTokens: decoded.promptTokens }),
    method: input.method,
    path: input.path,
    headers: input.headers,
    request,
    bodyBytes: input.body,
    identity: resolveIdentity(policy.identity, input.headers, input.metadata ?? NO_METADATA),
    debug: input.headers.get(HEADER.routerDebug)?.toLowerCase() === 'true',
  });
}

/** parseRequest, with bodies of OFF_LOOP_BODY_BYTES or more parsed on a worker thread (bounded event-loop turns). */
export function parseRequestBounded(
  policy: Policy,
  input: RouteInput,
  decoder?: OffLoopBodyDecoder,
): RequestContext | Promise<RequestContext> {
  // Small bodies, the common case, stay synchronous.
  if (input.body.length < OFF_LOOP_BODY_BYTES) return parseRequest(policy, input);
  return (decoder ?? processBodyDecoder())
    .decode(input.body, input.api, policy.limits.maxJsonDepth)
    .then(({ bytes, decoded }) => parseRequest(policy, { ...input, body: bytes }, decoded));
}

/** What the server needs from the routing core; bound to one policy generation per stream. */
export interface RequestRouter {
  /** The policy generation this router serves (its response settings, pools, models). */
  readonly policy: Policy;
  /** The process's live pool state: streams count their requests in flight and report outcomes to it. */
  readonly pools: PoolStateRegistry;
  /** The process's live model figures, fed by the response stage like the pool state. */
  readonly stats: ModelStatsRegistry;
  /** The store replicas share (selection state); in-process unless the policy names Redis. */
  readonly store: SharedStore;
  /** Header names the client may not set for this policy (identity headers nobody vouches for). */
  readonly untrustedHeaders: readonly string[];
  /** Request header limits (count, bytes). */
  readonly headerLimits: { readonly maxHeaders: number; readonly maxBytes: number };
  admit(input: HeaderInput): Admission;
  /** `record` receives stage timings for telemetry; it is filled as far as routing got when this throws. */
  route(input: RouteInput, record?: RouteRecord): Promise<RoutedRequest>;
  /** Explicit feedback on an earlier request (by its x-request-id) for its decision's learning algorithm. */
  feedback?(input: FeedbackInput): Promise<FeedbackResult>;
}

/** Pool and model state of its own, an in-process store and Math.random: for tools and tests without a server. */
export function defaultRouterDeps(): RouterDeps {
  return {
    pools: new PoolStateRegistry(),
    stats: new ModelStatsRegistry(),
    store: new MemoryStore(),
    random: Math.random,
    rateLimitCounters: new RateLimitCounters(),
  };
}

export function createRequestRouter(policy: Policy, deps: RouterDeps = defaultRouterDeps()): RequestRouter {
  const rateLimiter =
    policy.rateLimits &&
    new RateLimiter(
      policy.rateLimits,
      deps.rateLimitCounters ?? new RateLimitCounters(),
      policy.rateLimits.shared ? new SharedRateLimitCounters(deps.store) : undefined,
    );
  const shedding = policy.rateLimits?.shedding;
  const shedder =
    shedding &&
    new LoadShedder(shedding, deps.pools, (name, profile) => decisionPriority(policy, name, profile));
  return {
    policy,
    pools: deps.pools,
    stats: deps.stats,
    store: deps.store,
    untrustedHeaders: untrustedIdentityHeaders(policy.identity),
    headerLimits: {
      maxHeaders: policy.limits.maxRequestHeaders,
      maxBytes: policy.limits.maxRequestHeaderBytes,
    },
    admit: (input) => admitRequest(policy, input),
    async route(input, record = new RouteRecord()) {
      const mark = record.begin('parse');
      const parsed = parseRequestBounded(policy, input, deps.bodyDecoder);
      const context = parsed instanceof Promise ? await parsed : parsed;
      record.end(mark);
      record.context = context;
      const { routed: plan, ticket } = await admitAround(
        rateLimiter,
        context,
        () => planRoute(policy, context, record, deps, input.clientGone),
        (plan) => ({
          model: plan.model.name,
          pool: plan.pool?.name,
          decision: plan.decision?.name,
          profile: plan.profile,
          answeredByRouter: plan.response !== undefined && plan.looperAnswer === undefined,
        }),
        shedder,
      );
      record.rateLimits = ticket?.applied ?? [];
      const namespace = policy.response.dynamicMetadataNamespace;
      // A large body's rewrite copies it whole: in a turn of its own, not after the last signal slice.
      if (input.body.length >= OFF_LOOP_BODY_BYTES) await yieldToEventLoop();
      const { result, diagnostics } = planToResult(plan, context, namespace);
      const requestResult = withRateLimitMetadata(rateLimiter, context, result, namespace);
      return { context, requestResult, diagnosticHeaders: diagnostics, plan, rateLimit: ticket };
    },
    feedback: (input) =>
      handleFeedback(
        {
          store: deps.store,
          decisionOf: (name) => {
            const decision = findDecision(policy, name);
            return (
              decision && { selector: decision.selector, models: decision.modelRefs.map((ref) => ref.model) }
            );
          },
          recordTtlMs: policy.stateStore.recordTtlMs,
        },
        input,
      ),
  };
}
