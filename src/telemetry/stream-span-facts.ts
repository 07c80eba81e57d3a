// What a recording stream span learns from a RouteRecord once routing is done: the request's facts, each stage's
// time, the signal families and plugins as parallel lists, the decision and the model selection. Written attribute
// by attribute onto the span (no intermediate objects, no lists when there is nothing to list). Only called for a
// sampled span.
import type { Span } from '@opentelemetry/api';
import type { ModelSelectionRecord, RoutingPlan } from '../pipeline.ts';
import type { RequestContext } from '../request/request-context.ts';
import { boundedReason, MAX_SHOWN_CANDIDATES } from '../selection/algorithms/selection-summary.ts';
import type { SignalReport } from '../signals/signal-engine.ts';
import type { RouteRecord } from './route-record.ts';
import * as A from './semconv.ts';

/** Milliseconds to the microsecond: enough for a stage, shorter on the wire than a full double. */
const ms = (value: number): number => Math.round(value * 1000) / 1000;

export function operationName(path: string): string {
  return path === '/v1/completions' ? A.GEN_AI_OPERATION.textCompletion : A.GEN_AI_OPERATION.chat;
}

/** The chat history in the GenAI `gen_ai.input.messages` shape; only with prompt recording on. */
function inputMessages(context: RequestContext): string {
  return JSON.stringify(
    context.request.messages.map((m) => ({ role: m.role, parts: [{ type: 'text', content: m.text }] })),
  );
}

export function writeRequestFacts(
  span: Span,
  context: RequestContext,
  path: string,
  recordPromptText: boolean,
): void {
  const request = context.request;
  span.setAttribute(A.ATTR_GEN_AI_OPERATION_NAME, operationName(path));
  span.setAttribute(A.ATTR_GEN_AI_REQUEST_MODEL, request.model);
  if (request.stream) span.setAttribute(A.ATTR_ROUTER_STREAM, true);
  span.setAttribute(A.ATTR_ROUTER_MESSAGES, request.messages.length);
  span.setAttribute(A.ATTR_ROUTER_ESTIMATED_TOKENS, context.promptTokens);
  const maxTokens = request.body.max_completion_tokens ?? request.body.max_tokens;
  if (typeof maxTokens === 'number') span.setAttribute(A.ATTR_GEN_AI_REQUEST_MAX_TOKENS, maxTokens);
  if (recordPromptText) span.setAttribute(A.ATTR_GEN_AI_INPUT_MESSAGES, inputMessages(context));
}

/** Stages that finished, as `router.stage.<stage>.ms`; the one that threw gets a span of its own instead. */
export function writeStageTimes(span: Span, record: RouteRecord): void {
  for (const mark of record.stages)
    if (mark.end >= 0) span.setAttribute(A.ATTR_ROUTER_STAGE_MS[mark.stage], ms(mark.end - mark.start));
}

export function writeSignalFacts(span: Span, report: SignalReport): void {
  const families = report.families;
  if (families.length === 0) return;
  const names = new Array<string>(families.length);
  const durations = new Array<number>(families.length);
  let failures: string[] | undefined;
  for (let i = 0; i < families.length; i++) {
    const outcome = families[i] as (typeof families)[number];
    names[i] = outcome.family;
    durations[i] = ms(outcome.durationMs);
    if (outcome.failure === undefined) continue;
    failures ??= [];
    failures.push(`${outcome.family}=${outcome.failure}`);
  }
  span.setAttribute(A.ATTR_ROUTER_SIGNAL_FAMILIES, names);
  span.setAttribute(A.ATTR_ROUTER_SIGNAL_DURATIONS_MS, durations);
  if (failures) span.setAttribute(A.ATTR_ROUTER_SIGNAL_FAILURES, failures);
}

/** The applied request plugins as parallel lists, and what each noted (figures and outcomes, never text). */
export function writePluginFacts(span: Span, record: RouteRecord, now: number): void {
  const marks = record.plugins;
  if (marks.length === 0) return;
  const types = new Array<string>(marks.length);
  const effects = new Array<string>(marks.length);
  const durations = new Array<number>(marks.length);
  for (let i = 0; i < marks.length; i++) {
    const mark = marks[i] as (typeof marks)[number];
    types[i] = mark.type;
    effects[i] = mark.effect ?? '';
    durations[i] = ms((mark.end < 0 ? now : mark.end) - mark.start);
    if (mark.attributes) span.setAttributes(mark.attributes);
  }
  span.setAttribute(A.ATTR_ROUTER_PLUGIN_TYPES, types);
  span.setAttribute(A.ATTR_ROUTER_PLUGIN_EFFECTS, effects);
  span.setAttribute(A.ATTR_ROUTER_PLUGIN_DURATIONS_MS, durations);
}

export function writeDecisionFacts(span: Span, plan: RoutingPlan, decision: string): void {
  span.setAttribute(A.ATTR_ROUTER_DECISION_NAME, decision);
  span.setAttribute(A.ATTR_ROUTER_DECISION_CONFIDENCE, plan.decision?.confidence ?? 1);
  if (plan.decision?.enforced) span.setAttribute(A.ATTR_ROUTER_DECISION_ENFORCED, true);
  const matched: string[] = [];
  for (const evaluated of plan.decisions) if (evaluated.matched) matched.push(evaluated.name);
  if (matched.length > 0) span.setAttribute(A.ATTR_ROUTER_DECISION_MATCHED, matched);
}

/** The algorithm's view of the choice: bounded lists, names and figures only. */
export function writeSelectionFacts(span: Span, selection: ModelSelectionRecord): void {
  span.setAttribute(A.ATTR_ROUTER_SELECTION_ALGORITHM, selection.algorithm);
  const reason = boundedReason(selection.reason);
  if (reason !== undefined) span.setAttribute(A.ATTR_ROUTER_SELECTION_REASON, reason);
  const scores = selection.scores;
  if (!scores || scores.length === 0) return;
  const shown = Math.min(scores.length, MAX_SHOWN_CANDIDATES);
  const candidates = new Array<string>(shown);
  const values = new Array<number>(shown);
  const parts = new Array<string>(shown);
  const excluded = new Array<string>(shown);
  for (let i = 0; i < shown; i++) {
    const score = scores[i] as (typeof scores)[number];
    candidates[i] = score.model;
    values[i] = score.score;
    let text = '';
    const scoreParts = score.parts;
    if (scoreParts) for (const name in scoreParts) text += `${text ? ' ' : ''}${name}:${scoreParts[name]}`;
    parts[i] = text;
    excluded[i] = score.excluded ?? '';
  }
  span.setAttribute(A.ATTR_ROUTER_SELECTION_CANDIDATES, candidates);
  span.setAttribute(A.ATTR_ROUTER_SELECTION_SCORES, values);
  span.setAttribute(A.ATTR_ROUTER_SELECTION_PARTS, parts);
  span.setAttribute(A.ATTR_ROUTER_SELECTION_EXCLUDED, excluded);
}

/** The routed plan's model and pool. */
export function writeTargetFacts(span: Span, plan: RoutingPlan): void {
  span.setAttribute(A.ATTR_ROUTER_MODEL_NAME, plan.model.name);
  span.setAttribute(A.ATTR_ROUTER_MODEL_PROVIDER_ID, plan.model.providerModelId);
  span.setAttribute(A.ATTR_ROUTER_REQUIRED_TOKENS, plan.requiredTokens);
  if (plan.pool) {
    span.setAttribute(A.ATTR_ROUTER_POOL_NAME, plan.pool.name);
    if (plan.pool.envoyCluster !== plan.pool.name)
      span.setAttribute(A.ATTR_ROUTER_POOL_CLUSTER, plan.pool.envoyCluster);
  }
}
