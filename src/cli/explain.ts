// `semantic-router explain`: why a request is routed where it is — signals, every decision, model, pool, mutations.
import { formatPolicyIssue, RouterError } from '../errors.ts';
import { HEADER } from '../headers.ts';
import type { PhaseResult } from '../mutations.ts';
import {
  admitRequest,
  errorAnswerFor,
  parseRequest,
  planRoute,
  planToResult,
  type RouterDeps,
  type RoutingPlan,
} from '../pipeline.ts';
import { loadPolicyFile } from '../policy/load-policy.ts';
import type { Policy } from '../policy/policy.ts';
import { type ApplicableLimit, applicableLimits } from '../rate-limits/rate-limit-explain.ts';
import type { LlmApi } from '../request/apis/index.ts';
import type { CommandIO } from './validate.ts';

export interface ExplainInput {
  readonly policyFile: string;
  /** A prompt, or an OpenAI request JSON (from stdin). */
  readonly prompt?: string;
  readonly requestJson?: string;
  readonly model?: string;
  readonly headers?: ReadonlyMap<string, string>;
  /** The request path (default `/v1/chat/completions`): picks the API the JSON is read as. */
  readonly path?: string;
  readonly json: boolean;
  /** --allow-unsupported: load a policy whose unsupported guardrails would be errors, warning about each. */
  readonly allowUnsupported?: boolean;
}

export interface Explanation {
  readonly policy: { readonly file: string; readonly format: string; readonly strategy: string };
  readonly request: { readonly model: string; readonly messages: number; readonly estimatedTokens: number };
  /** The routing profile (recipe) the request's virtual model name selected, and its strategy; null: none. */
  readonly profile: { readonly name: string; readonly strategy: string } | null;
  readonly signals: readonly {
    family: string;
    matches: readonly { type: string; name: string; confidence: number; detail?: string }[];
    durationMs: number;
    error?: string;
    /** error, timeout or too_long */
    failure?: string;
  }[];
  readonly decisions: readonly {
    name: string;
    priority: number;
    tier: number;
    enforced: boolean;
    matched: boolean;
    confidence: number;
  }[];
  /** Decision leaves whose signal failed, and the on_error applied (skip, match, fail). */
  readonly onError: readonly { readonly signal: string; readonly action: string }[];
  readonly winner: { readonly name: string; readonly confidence: number; readonly enforced: boolean } | null;
  readonly model: {
    readonly name: string;
    readonly providerModelId: string;
    readonly useReasoning: boolean;
  } | null;
  /** How the winning decision's algorithm chose among its modelRefs (null without a decision). */
  readonly selection: {
    readonly algorithm: string;
    readonly reason: string | null;
    readonly candidates: readonly {
      readonly model: string;
      readonly score: number;
      readonly parts: Readonly<Record<string, number>>;
      readonly excluded: string | null;
    }[];
  } | null;
  readonly pool: {
    readonly name: string;
    readonly envoyCluster: string;
    readonly maxContextTokens: number;
  } | null;
  readonly requiredTokens: number | null;
  readonly response: {
    readonly kind: 'continue' | 'immediate';
    readonly status?: number;
    readonly setHeaders: readonly [string, string][];
    readonly removeHeaders: readonly string[];
    readonly body: unknown;
    readonly clearRouteCache: boolean;
  };
  readonly clientHeaders: readonly [string, string][];
  /** Policy rate limits the request is counted against (only when the policy has `rate_limits`). */
  readonly rateLimits?: readonly ApplicableLimit[];
}

function bodyJson(bytes: Uint8Array | undefined): unknown {
  if (!bytes) return null;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return Buffer.from(bytes).toString('utf8');
  }
}

function describeResult(result: PhaseResult): Explanation['response'] {
  if (result.kind === 'immediate') {
    return {
      kind: 'immediate',
      status: result.status,
      setHeaders: result.headers.map(([k, v]) => [k, v]),
      removeHeaders: [],
      body: bodyJson(result.body),
      clearRouteCache: false,
    };
  }
  return {
    kind: 'continue',
    setHeaders: (result.setHeaders ?? []).map(([k, v]) => [k, v]),
    removeHeaders: [...(result.removeHeaders ?? [])],
    body: bodyJson(result.body),
    clearRouteCache: result.clearRouteCache ?? false,
  };
}

export async function explainRequest(
  policy: Policy,
  file: string,
  body: Uint8Array,
  headers: ReadonlyMap<string, string>,
  path = '/v1/chat/completions',
  /** Live state to route against (tests, a replay); default: fresh state, as a cold router would see it. */
  deps?: RouterDeps,
) {
  const base = { policy: { file, format: policy.source.format, strategy: policy.strategy } };
  let plan: RoutingPlan | undefined;
  let result: PhaseResult;
  let clientHeaders: [string, string][] = [];
  let request: Explanation['request'] = { model: '?', messages: 0, estimatedTokens: 0 };
  let api: LlmApi | undefined;
  let rateLimits: ApplicableLimit[] | undefined;
  try {
    const admission = admitRequest(policy, { method: 'POST', path, headers });
    if (admission.kind === 'reject') throw admission.error;
    if (admission.kind !== 'route')
      throw new UsageProblem(`${path} is not an LLM API path the router routes`);
    api = admission.api;
    const context = parseRequest(policy, {
      method: 'POST',
      path: admission.path,
      api: admission.api,
      headers,
      body,
    });
    request = {
      model: context.request.model,
      messages: context.request.messages.length,
      estimatedTokens: context.promptTokens,
    };
    plan = await planRoute(policy, context, undefined, deps);
    if (policy.rateLimits)
      rateLimits = applicableLimits(policy.rateLimits, {
        ...context,
        model: plan.model.name,
        pool: plan.pool?.name,
        decision: plan.decision?.name,
      });
    const answer = planToResult(plan, context);
    result = answer.result;
    clientHeaders = answer.diagnostics.map(([k, v]) => [k, v]);
  } catch (error) {
    if (!(error instanceof RouterError)) throw error;
    result = errorAnswerFor(error, api, headers);
  }
  const explanation: Explanation = {
    ...base,
    request,
    profile: profileOf(policy, plan),
    signals: (plan?.signals?.families ?? []).map((f) => ({
      family: f.family,
      matches: f.matches.map((m) => ({
        type: f.conditionType,
        name: m.name,
        confidence: m.confidence,
        ...(m.detail && { detail: m.detail }),
      })),
      durationMs: Number(f.durationMs.toFixed(3)),
      ...(f.error && { error: f.error }),
      ...(f.failure && { failure: f.failure }),
    })),
    decisions: (plan?.decisions ?? []).map((d) => ({ ...d })),
    onError: (plan?.onErrorApplied ?? []).map((a) => ({ signal: a.key, action: a.action })),
    winner: plan?.decision ?? null,
    model: plan
      ? {
          name: plan.model.name,
          providerModelId: plan.model.providerModelId,
          useReasoning: plan.modelRef?.useReasoning ?? false,
        }
      : null,
    selection: plan?.selection
      ? {
          algorithm: plan.selection.algorithm,
          reason: plan.selection.reason ?? null,
          candidates: (plan.selection.scores ?? []).map((s) => ({
            model: s.model,
            score: s.score,
            parts: { ...(s.parts ?? {}) },
            excluded: s.excluded ?? null,
          })),
        }
      : null,
    pool: plan?.pool
      ? {
          name: plan.pool.name,
          envoyCluster: plan.pool.envoyCluster,
          maxContextTokens: plan.pool.maxContextTokens,
        }
      : null,
    requiredTokens: plan?.requiredTokens ?? null,
    response: describeResult(result),
    clientHeaders,
    ...(rateLimits && { rateLimits }),
  };
  return explanation;
}

function profileOf(policy: Policy, plan: RoutingPlan | undefined): Explanation['profile'] {
  const found = [...policy.profiles.values()].find((profile) => profile.name === plan?.profile);
  return found ? { name: found.name, strategy: found.strategy } : null;
}

/** A request explain cannot route, e.g. a path that is no LLM API. */
export class UsageProblem extends Error {}

export function formatExplanation(e: Explanation): string {
  const lines: string[] = [];
  lines.push(`policy   ${e.policy.file} (${e.policy.format}, strategy ${e.policy.strategy})`);
  lines.push(
    `request  model=${e.request.model}, ${e.request.messages} message(s), ~${e.request.estimatedTokens} tokens`,
  );
  if (e.profile) lines.push(`profile  ${e.profile.name} (recipe, strategy ${e.profile.strategy})`);
  lines.push('', 'signals');
  if (e.signals.length === 0)
    lines.push('  (none evaluated: the request named a concrete model or no decision uses signals)');
  for (const family of e.signals) {
    const status = family.error
      ? `failed (${family.failure ?? 'error'}): ${family.error}`
      : `${family.matches.length} matched`;
    lines.push(`  ${family.family} (${status}, ${family.durationMs} ms)`);
    for (const m of family.matches) {
      lines.push(
        `    ${`${m.type}:${m.name}`.padEnd(32)} ${m.confidence.toFixed(3)}${m.detail ? `  ${m.detail}` : ''}`,
      );
    }
  }
  lines.push('', 'decisions');
  for (const d of e.decisions) {
    const mark = e.winner?.name === d.name ? '=> ' : d.matched ? ' + ' : '   ';
    const state = d.matched ? `matched, confidence ${d.confidence.toFixed(3)}` : 'no match';
    lines.push(
      `  ${mark}${d.name.padEnd(28)} priority ${String(d.priority).padStart(4)}${d.tier ? ` tier ${d.tier}` : ''}${d.enforced ? ' enforced' : ''}  ${state}`,
    );
  }
  if (e.onError.length > 0) {
    lines.push('', 'on_error applied (a signal failed)');
    for (const applied of e.onError) lines.push(`  ${applied.signal.padEnd(32)} ${applied.action}`);
  }
  lines.push('');
  lines.push(
    `winner   ${e.winner ? `${e.winner.name} (confidence ${e.winner.confidence.toFixed(3)})` : 'none (default model)'}`,
  );
  if (e.model)
    lines.push(
      `model    ${e.model.name} -> ${e.model.providerModelId}${e.model.useReasoning ? ' (reasoning on)' : ''}`,
    );
  if (e.selection) {
    lines.push(`selection ${e.selection.algorithm}${e.selection.reason ? `: ${e.selection.reason}` : ''}`);
    for (const c of e.selection.candidates) {
      const mark = c.model === e.model?.name ? '=> ' : '   ';
      const parts = Object.entries(c.parts)
        .map(([name, value]) => `${name} ${value}`)
        .join(', ');
      const detail =
        c.excluded !== null ? `excluded: ${c.excluded}` : `score ${c.score}${parts ? `  (${parts})` : ''}`;
      lines.push(`  ${mark}${c.model.padEnd(28)} ${detail}`);
    }
  }
  for (const limit of e.rateLimits ?? [])
    lines.push(
      `limit    ${limit.name} per ${limit.key}${limit.counted === 'anonymous' ? ' (none sent: anonymous)' : ''}: ${limit.budgets.join(', ')}`,
    );
  if (e.pool)
    lines.push(
      `pool     ${e.pool.name} (Envoy cluster ${e.pool.envoyCluster}, max ${e.pool.maxContextTokens} tokens; request needs ~${e.requiredTokens})`,
    );
  lines.push(
    '',
    e.response.kind === 'immediate' ? `immediate response ${e.response.status}` : 'mutations sent to Envoy',
  );
  for (const [k, v] of e.response.setHeaders) lines.push(`  set ${k}: ${v}`);
  for (const k of e.response.removeHeaders) lines.push(`  remove ${k}`);
  if (e.response.clearRouteCache) lines.push('  clear_route_cache: true');
  if (e.response.body !== null) {
    const body = JSON.stringify(e.response.body);
    lines.push(`  body: ${body.length > 300 ? `${body.slice(0, 300)}…` : body}`);
  }
  if (e.clientHeaders.length > 0) {
    lines.push('', 'headers added to the client response');
    for (const [k, v] of e.clientHeaders) lines.push(`  ${k}: ${v}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Loads the policy `explain` reads; with --allow-unsupported its warnings (what it loaded without) go to stderr. */
export async function loadExplainPolicy(
  input: { readonly policyFile: string; readonly allowUnsupported?: boolean },
  io: CommandIO,
): Promise<Policy> {
  const policy = await loadPolicyFile(
    input.policyFile,
    input.allowUnsupported ? { allowUnsupported: true } : {},
  );
  for (const warning of input.allowUnsupported ? policy.warnings : [])
    io.err(`${formatPolicyIssue(warning)}\n`);
  return policy;
}

export async function explainCommand(input: ExplainInput, io: CommandIO): Promise<number> {
  const policy = await loadExplainPolicy(input, io);
  try {
    const body =
      input.requestJson ??
      JSON.stringify({
        model: input.model ?? [...policy.autoModelNames][0],
        messages: [{ role: 'user', content: input.prompt ?? '' }],
      });
    const headers = new Map(input.headers ?? []);
    headers.set(HEADER.routerDebug, 'true');
    const explanation = await explainRequest(
      policy,
      input.policyFile,
      Buffer.from(body, 'utf8'),
      headers,
      input.path,
    );
    io.out(input.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
    return 0;
  } finally {
    policy.close();
  }
}
