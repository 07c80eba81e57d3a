// Decides a request routed by a profile: the top-level `enforce: always` decisions (guardrails) first, with the
// top-level signals, then the profile's own decisions. A guardrail applies whatever model name the client sends.
import type { CompiledDecision, Policy, RoutingScope } from '../policy/policy.ts';
import type { RequestContext } from '../request/request-context.ts';
import type { SignalReport } from '../signals/signal-engine.ts';
import { type DecisionResult, selectDecision } from './decision-engine.ts';

/** The guardrails a request of `scope` is also held to: the top level's enforced decisions, unless it is the top level. */
export function guardrailsFor(policy: Policy, scope: RoutingScope): readonly CompiledDecision[] {
  return scope.signals === policy.signals ? [] : policy.enforcedDecisions;
}

export interface ScopeSignals {
  /** The top-level signals the guardrails read (absent when the scope has none to add). */
  readonly guardrails: SignalReport | undefined;
  readonly scope: SignalReport;
}

/** Evaluates the scope's signals (only the `only` families when given) and its guardrails' signals, concurrently. */
export async function evaluateScopeSignals(
  policy: Policy,
  scope: RoutingScope,
  context: RequestContext,
  only: ReadonlySet<string> | undefined,
): Promise<ScopeSignals> {
  // The top level (every request without a virtual model name) has no guardrails to add: one evaluation.
  if (guardrailsFor(policy, scope).length === 0)
    return { guardrails: undefined, scope: await scope.signals.evaluate(context, only) };
  const [guardrails, own] = await Promise.all([
    policy.signals.evaluate(context, policy.enforcedFamilies),
    scope.signals.evaluate(context, only),
  ]);
  return { guardrails, scope: own };
}

/** A matching guardrail wins over the scope's decisions; otherwise the scope's strategy picks among them. */
export function decideInScope(
  policy: Policy,
  scope: RoutingScope,
  decisions: readonly CompiledDecision[],
  signals: ScopeSignals,
): { readonly signals: SignalReport; readonly result: DecisionResult<CompiledDecision> } {
  if (signals.guardrails) {
    const result = selectDecision<CompiledDecision>(
      guardrailsFor(policy, scope),
      signals.guardrails,
      policy.strategy,
    );
    if (result.winner) return { signals: signals.guardrails, result };
  }
  return {
    signals: signals.scope,
    result: selectDecision<CompiledDecision>(decisions, signals.scope, scope.strategy),
  };
}

/** A decision by name: the top level's first, then the profiles' (feedback names the decision that routed). */
export function findDecision(policy: Policy, name: string): CompiledDecision | undefined {
  const own = policy.decisions.find((d) => d.name === name);
  if (own) return own;
  for (const profile of policy.profiles.values()) {
    const found = profile.decisions.find((d) => d.name === name);
    if (found) return found;
  }
  return undefined;
}
