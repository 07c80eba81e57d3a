// What live-state algorithms know of a candidate before weighing it: its expected cost for this request, whether a
// pool of it can take the request now (breakers), whether the conversation still fits it, and small scoring helpers.
import type { CompiledModel } from '../../policy/policy.ts';
import type { CandidateScore, ModelCandidate, SelectionContext } from '../model-selector.ts';

/**
 * Output tokens assumed when the client sets no `max_tokens`: a typical chat answer. With a cap, the cap is used
 * (an upper bound: a request is never priced below what it may cost).
 */
export const DEFAULT_EXPECTED_OUTPUT_TOKENS = 256;

/** The tokens a request is expected to cost: the estimated prompt, and the output cap or the default above. */
export function expectedTokens(context: SelectionContext): {
  readonly input: number;
  readonly output: number;
} {
  return {
    input: context.request.promptTokens,
    output: context.request.request.maxOutputTokens ?? DEFAULT_EXPECTED_OUTPUT_TOKENS,
  };
}

function hasPricing(model: CompiledModel | undefined): model is CompiledModel {
  const pricing = model?.pricing;
  return pricing?.promptPer1m !== undefined || pricing?.completionPer1m !== undefined;
}

/** Pricing × expected tokens, in the policy's currency; undefined when the model has no pricing. */
export function expectedCost(
  model: CompiledModel | undefined,
  context: SelectionContext,
): number | undefined {
  if (!hasPricing(model)) return undefined;
  const { input, output } = expectedTokens(context);
  const pricing = model.pricing;
  return (input * (pricing?.promptPer1m ?? 0) + output * (pricing?.completionPer1m ?? 0)) / 1_000_000;
}

/** The blended price per million tokens of this request (prompt and output weighted by their expected counts). */
export function blendedPricePer1m(
  model: CompiledModel | undefined,
  context: SelectionContext,
): number | undefined {
  if (!hasPricing(model)) return undefined;
  const { input, output } = expectedTokens(context);
  const pricing = model.pricing;
  const total = input + output;
  if (total === 0) return pricing?.promptPer1m ?? pricing?.completionPer1m ?? 0;
  return (input * (pricing?.promptPer1m ?? 0) + output * (pricing?.completionPer1m ?? 0)) / total;
}

/**
 * Why no pool of the model can take a request now (every pool's breaker open, or half-open with its probe slots
 * taken); undefined when one can. A model the policy does not describe, or one without pools, is not excluded here:
 * pool selection reports what is wrong with it.
 */
export function unavailableReason(
  model: CompiledModel | undefined,
  context: SelectionContext,
): string | undefined {
  if (!model || model.pools.length === 0) return undefined;
  if (model.pools.some((pool) => context.pools.admit(pool.name))) return undefined;
  return model.pools.length === 1 ? 'pool breaker open' : 'all pool breakers open';
}

/** Why the request no longer fits the model (context window, or every pool's max context); undefined if it fits. */
export function contextMisfitReason(
  model: CompiledModel | undefined,
  context: SelectionContext,
): string | undefined {
  if (!model) return undefined;
  const { input } = expectedTokens(context);
  const required = input + (context.request.request.maxOutputTokens ?? 0);
  if (model.contextWindow !== undefined && required > model.contextWindow)
    return `needs ~${required} tokens > context window ${model.contextWindow}`;
  if (model.pools.length > 0 && model.pools.every((pool) => required > pool.maxContextTokens))
    return `needs ~${required} tokens > every pool's max context`;
  return undefined;
}

/** Maps v in [min, max] to [0, 1] (1 at max); 0.5 when every candidate has the same value. */
export function scaleUp(value: number, min: number, max: number): number {
  return max > min ? (value - min) / (max - min) : 0.5;
}

/** Maps v in [min, max] to [1, 0] (1 at min: lower is better); 0.5 when every candidate has the same value. */
export function scaleDown(value: number, min: number, max: number): number {
  return max > min ? 1 - (value - min) / (max - min) : 0.5;
}

/** Min and max of the defined values; undefined when none is defined. */
export function range(values: readonly (number | undefined)[]): { min: number; max: number } | undefined {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    if (value === undefined) continue;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return min <= max ? { min, max } : undefined;
}

/** Rounds a figure for explain output and span attributes (4 significant decimals is plenty to compare). */
export function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** The highest-scoring candidate among those not excluded (first in the decision's order on ties). */
export function bestOf<C extends ModelCandidate>(
  candidates: readonly C[],
  scores: readonly CandidateScore[],
): C | undefined {
  let best: C | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  candidates.forEach((candidate, index) => {
    const score = scores[index];
    if (!score || score.excluded !== undefined) return;
    if (score.score > bestScore) {
      bestScore = score.score;
      best = candidate;
    }
  });
  return best;
}
