// Evaluates every decision of a policy against a request's signal matches and picks the winner.
import {
  evaluateRule,
  type OnErrorApplied,
  type RuleNode,
  type SignalMatches,
  type SignalState,
} from './rule-tree.ts';

export type DecisionStrategy = 'priority' | 'confidence';

export interface DecisionRule {
  readonly name: string;
  readonly priority: number;
  /** Lower tiers win before priority and confidence are compared; 0 (untiered) ranks first. */
  readonly tier: number;
  readonly rule: RuleNode;
  /** `enforce: always`: evaluated whatever model the client names, and ranked above every other decision. */
  readonly enforced?: boolean;
}

export interface DecisionEvaluation {
  readonly name: string;
  readonly priority: number;
  readonly tier: number;
  readonly enforced: boolean;
  readonly matched: boolean;
  readonly confidence: number;
  /** The decision has no rules: it matches every request, and ranks after every real match of its tier. */
  readonly catchAll?: boolean;
}

/**
 * Orders matched decisions best first: enforced before the rest (a guardrail cannot be outranked by a prompt that
 * also triggers a higher-priority route), then tier, then a real match before a catch-all (as vLLM Semantic Router
 * does), then priority, then confidence (swapped under `confidence`), then name.
 */
export function compareDecisions(strategy: DecisionStrategy) {
  return (a: DecisionEvaluation, b: DecisionEvaluation): number => {
    if (a.enforced !== b.enforced) return a.enforced ? -1 : 1;
    if (a.tier !== b.tier) return a.tier - b.tier;
    if ((a.catchAll ?? false) !== (b.catchAll ?? false)) return a.catchAll ? 1 : -1;
    const byPriority = b.priority - a.priority;
    const byConfidence = b.confidence - a.confidence;
    const first = strategy === 'priority' ? byPriority : byConfidence;
    if (first !== 0) return first;
    const second = strategy === 'priority' ? byConfidence : byPriority;
    if (second !== 0) return second;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  };
}

export interface DecisionResult<D extends DecisionRule> {
  readonly winner: D | undefined;
  readonly winnerEvaluation: DecisionEvaluation | undefined;
  /** Every decision's outcome, in policy order (for explain and traces). */
  readonly evaluations: readonly DecisionEvaluation[];
  /** Leaves whose signal failed and the on_error applied to each. */
  readonly onErrorApplied: readonly OnErrorApplied[];
}

/** Evaluates `decisions` (throws SignalFailedError where a failed leaf says `on_error: fail`). */
export function selectDecision<D extends DecisionRule>(
  decisions: readonly D[],
  signals: SignalState | SignalMatches,
  strategy: DecisionStrategy,
): DecisionResult<D> {
  const compare = compareDecisions(strategy);
  const evaluations: DecisionEvaluation[] = [];
  const onErrorApplied: OnErrorApplied[] = [];
  let winner: D | undefined;
  let winnerEvaluation: DecisionEvaluation | undefined;
  for (const decision of decisions) {
    const outcome = evaluateRule(decision.rule, signals, onErrorApplied);
    const evaluation = {
      name: decision.name,
      priority: decision.priority,
      tier: decision.tier,
      enforced: decision.enforced === true,
      ...(decision.rule.kind === 'always' && { catchAll: true }),
      ...outcome,
    };
    evaluations.push(evaluation);
    if (evaluation.matched && (!winnerEvaluation || compare(evaluation, winnerEvaluation) < 0)) {
      winner = decision;
      winnerEvaluation = evaluation;
    }
  }
  return { winner, winnerEvaluation, evaluations, onErrorApplied };
}
