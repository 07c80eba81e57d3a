// The one module that knows the stage order. Every routed request flows through it:
//
//   request body ─▶ parse (request/) ─▶ signals (signals/) ─▶ decision (decisions/) ─▶ model (selection/)
//        ─▶ plugins (plugins/) ─▶ pool (pools/) ─▶ mutations: x-selected-model, x-selected-pool, body, ...
//
// Requests that name a concrete model skip signals and decisions but still get a pool. Each stage's timing goes
// into a RouteRecord (plain data) from which the server's telemetry makes metrics and spans.
import { type DecisionEvaluation, selectDecision } from './decisions/decision-engine.ts';
import { InvalidRequestError, UnknownModelError } from './errors.ts';
import { HEADER, type ResponsePath } from './headers.ts';
import type { HeaderPair, PhaseResult } from './mutations.ts';
import type { PluginEffect } from './plugins/decision-plugin.ts';
import type {
  CompiledDecision,
  CompiledModel,
  CompiledModelRef,
  CompiledPool,
  Policy,
} from './policy/policy.ts';
import { chooseFirstFittingPool } from './pools/pool-selector.ts';
import { decodeJsonBody, parseOpenAIRequest } from './request/openai-request.ts';
import { buildRequestContext, type RequestContext } from './request/request-context.ts';
import { errorResponse, fastChatCompletion, type ModelListing } from './responses.ts';
import type { SignalReport } from './signals/signal-engine.ts';
import { RouteRecord } from './telemetry/route-record.ts';

export interface RoutingPlan {
  /** True when the client named a concrete model (no decision was evaluated). */
  readonly explicitModel: boolean;
  readonly signals: SignalReport | undefined;
  readonly decisions: readonly DecisionEvaluation[];
  readonly decision: { readonly name: string; readonly confidence: number } | undefined;
  readonly model: CompiledModel;
  readonly modelRef: CompiledModelRef | undefined;
  readonly pool: CompiledPool;
  readonly requiredTokens: number;
  /** Set when a plugin answers instead of the model. */
  readonly response: Extract<PluginEffect, { kind: 'respond' }> | undefined;
  readonly bodyPatches: readonly ((body: Record<string, unknown>) => void)[];
}

function requestedCompletionTokens(body: Readonly<Record<string, unknown>>): number {
  const value = body.max_completion_tokens ?? body.max_tokens;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function resolveModel(policy: Policy, name: string): CompiledModel {
  const model = policy.modelsByName.get(name);
  if (!model) throw new UnknownModelError(name);
  return model;
}

function choosePool(model: CompiledModel, requiredTokens: number, record: RouteRecord): CompiledPool {
  const mark = record.begin('pool_selection');
  const { pool } = chooseFirstFittingPool(model.name, model.pools, requiredTokens, model.contextWindow);
  record.end(mark);
  return pool;
}

/**
 * Runs signals → decision → model → plugins → pool for one parsed request. Pure apart from the signal engine.
 * `record` receives each stage's timing (telemetry reads it, also when a stage throws).
 */
export async function planRoute(
  policy: Policy,
  context: RequestContext,
  record: RouteRecord = new RouteRecord(),
): Promise<RoutingPlan> {
  const requiredTokens = context.promptTokens + requestedCompletionTokens(context.request.body);
  if (!policy.autoModelNames.has(context.request.model)) {
    const mark = record.begin('model_selection');
    const model = resolveModel(policy, context.request.model);
    record.end(mark);
    const pool = choosePool(model, requiredTokens, record);
    return {
      explicitModel: true,
      signals: undefined,
      decisions: [],
      decision: undefined,
      model,
      modelRef: undefined,
      pool,
      requiredTokens,
      response: undefined,
      bodyPatches: [],
    };
  }
  let mark = record.begin('signals');
  const signals = await policy.signals.evaluate(context);
  record.end(mark);
  record.signals = signals;
  mark = record.begin('decision');
  const { winner, winnerEvaluation, evaluations } = selectDecision<CompiledDecision>(
    policy.decisions,
    signals.matches,
    policy.strategy,
  );
  record.end(mark);
  let model = policy.defaultModel;
  let modelRef: CompiledModelRef | undefined;
  let response: RoutingPlan['response'];
  const bodyPatches: ((body: Record<string, unknown>) => void)[] = [];
  if (winner) {
    mark = record.begin('model_selection');
    modelRef = winner.selector.select(winner.modelRefs);
    model = resolveModel(policy, modelRef.model);
    record.end(mark);
    if (winner.plugins.length > 0) {
      mark = record.begin('plugins');
      for (const plugin of winner.plugins) {
        const pluginMark = record.beginPlugin(plugin.type);
        const effect = plugin.apply(context.request);
        record.end(pluginMark);
        pluginMark.effect = effect.kind;
        if (effect.kind === 'respond') {
          response = effect;
          break;
        }
        bodyPatches.push(effect.patchBody);
      }
      record.end(mark);
    }
  }
  const pool = choosePool(model, requiredTokens, record);
  return {
    explicitModel: false,
    signals,
    decisions: evaluations,
    decision:
      winner && winnerEvaluation ? { name: winner.name, confidence: winnerEvaluation.confidence } : undefined,
    model,
    modelRef,
    pool,
    requiredTokens,
    response,
    bodyPatches,
  };
}

/** Writes the reasoning switch the model's family understands (Qwen3's enable_thinking, OpenAI's effort, …). */
function applyReasoning(body: Record<string, unknown>, model: CompiledModel, ref: CompiledModelRef): void {
  const family = model.reasoningFamily;
  if (!family) return;
  if (family.type === 'chat_template_kwargs') {
    const existing =
      typeof body.chat_template_kwargs === 'object' && body.chat_template_kwargs !== null
        ? body.chat_template_kwargs
        : {};
    body.chat_template_kwargs = { ...existing, [family.parameter]: ref.useReasoning };
  } else if (ref.useReasoning) {
    body[family.parameter] = ref.reasoningEffort ?? 'medium';
  }
}

export function rewrittenBody(plan: RoutingPlan, context: RequestContext): Buffer {
  const body: Record<string, unknown> = { ...context.request.body, model: plan.model.providerModelId };
  if (plan.modelRef) applyReasoning(body, plan.model, plan.modelRef);
  for (const patch of plan.bodyPatches) patch(body);
  return Buffer.from(JSON.stringify(body), 'utf8');
}

export function diagnosticHeaders(
  plan: RoutingPlan,
  responsePath: ResponsePath,
  debug: boolean,
): HeaderPair[] {
  const headers: HeaderPair[] = [
    [HEADER.routerDecision, plan.decision?.name ?? (plan.explicitModel ? 'explicit_model' : 'default')],
    [HEADER.routerModel, plan.model.name],
    [HEADER.routerPool, plan.pool.name],
    [HEADER.routerConfidence, (plan.decision?.confidence ?? 1).toFixed(3)],
    [HEADER.routerResponsePath, responsePath],
  ];
  if (debug && plan.signals) {
    const matched = [...plan.signals.matches].map(([key, m]) => `${key}=${m.confidence.toFixed(3)}`);
    headers.push([HEADER.routerSignals, matched.join(',')]);
  }
  return headers;
}

/** The request-body phase answer for a plan: routing headers and rewritten body, or a plugin's direct answer. */
export function planToResult(
  plan: RoutingPlan,
  context: RequestContext,
): { result: PhaseResult; diagnostics: HeaderPair[] } {
  if (plan.response) {
    const diagnostics = diagnosticHeaders(plan, plan.response.responsePath, context.debug);
    const result =
      plan.response.responsePath === 'blocked'
        ? errorResponse(
            {
              httpStatus: plan.response.status,
              message: plan.response.message,
              code: 'blocked_by_policy',
              errorType: 'permission_error',
            },
            diagnostics,
          )
        : fastChatCompletion(plan.model.name, plan.response.message, context.request.stream, diagnostics);
    return { result, diagnostics };
  }
  const body = rewrittenBody(plan, context);
  return {
    result: {
      kind: 'continue',
      setHeaders: [
        [HEADER.selectedModel, plan.model.name],
        [HEADER.selectedPool, plan.pool.envoyCluster],
        [HEADER.contentLength, String(body.length)],
      ],
      body,
      clearRouteCache: true,
    },
    diagnostics: diagnosticHeaders(plan, 'upstream', context.debug),
  };
}

export interface RouteInput {
  readonly method: string;
  readonly path: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
}

export interface RoutedRequest {
  /** The answer to Envoy's request-body message. */
  readonly requestResult: PhaseResult;
  /** `x-router-*` headers for the client's response. */
  readonly diagnosticHeaders: readonly HeaderPair[];
  readonly plan: RoutingPlan;
}

export function parseRequest(input: RouteInput): RequestContext {
  if (input.body.length === 0) throw new InvalidRequestError('Request has no body', 'missing_body');
  const request = parseOpenAIRequest(decodeJsonBody(input.body), input.path);
  return buildRequestContext({
    method: input.method,
    path: input.path,
    headers: input.headers,
    request,
    debug: input.headers.get(HEADER.routerDebug)?.toLowerCase() === 'true',
  });
}

/** What the server needs from the routing core; bound to one policy generation per stream. */
export interface RequestRouter {
  listModels(): ModelListing[];
  /** `record` receives stage timings for telemetry; it is filled as far as routing got when this throws. */
  route(input: RouteInput, record?: RouteRecord): Promise<RoutedRequest>;
}

export function createRequestRouter(policy: Policy): RequestRouter {
  return {
    listModels: () => [
      ...[...policy.autoModelNames].map((id) => ({ id, ownedBy: 'semantic-router' })),
      ...policy.models.map((m) => ({ id: m.name, ownedBy: 'semantic-router' })),
    ],
    async route(input, record = new RouteRecord()) {
      const mark = record.begin('parse');
      const context = parseRequest(input);
      record.end(mark);
      record.context = context;
      const plan = await planRoute(policy, context, record);
      const { result, diagnostics } = planToResult(plan, context);
      return { requestResult: result, diagnosticHeaders: diagnostics, plan };
    },
  };
}
