// The contract of pool-choice strategies: rank the pools that may serve a request and pick one.
import type { ExtensionDefinition } from '../../extension.ts';
import type { PoolView } from '../pool-state.ts';

/** What a strategy knows of a pool from the policy (CompiledPool satisfies it). */
export interface StrategyPool {
  readonly name: string;
  readonly envoyCluster: string;
  readonly maxContextTokens: number;
  /** Relative cost of running the pool (e.g. $ per GPU hour); policy `cost_per_hour`. */
  readonly costPerHour?: number | undefined;
  /** Traffic weight, for `weighted` when its config names no weight for the pool. */
  readonly weight?: number | undefined;
}

/** A pool that may serve the request, with its live state. */
export interface PoolCandidateView<P extends StrategyPool = StrategyPool> {
  readonly pool: P;
  readonly view: PoolView;
}

/** Token prices of the model (per million tokens). Equal on every pool of the model. */
export interface ModelPricing {
  readonly currency?: string | undefined;
  readonly promptPer1m?: number | undefined;
  readonly completionPer1m?: number | undefined;
}

/** The request being placed. */
export interface PoolChoiceContext {
  /** Prompt plus expected completion: what the pool's context window must hold. */
  readonly requiredTokens: number;
  readonly promptTokens: number;
  readonly expectedCompletionTokens: number;
  readonly model: { readonly name: string; readonly pricing?: ModelPricing | undefined };
  /** Uniform in [0, 1); seeded in tests, Math.random in production. */
  readonly random: () => number;
}

/**
 * A configured strategy. Candidates arrive already filtered (the context fits, the breaker admits, the pool is not
 * reserved for another decision) and in policy order; a strategy only ranks them. It returns one of the candidates
 * (the very object), or undefined when there is none. Ties go to the earlier candidate, so policy order is the
 * last word.
 */
export interface PoolStrategy {
  readonly name: string;
  choose<C extends PoolCandidateView>(candidates: readonly C[], context: PoolChoiceContext): C | undefined;
}

/** A named strategy: its config (policy YAML, snake_case) is parsed by `configSchema` at policy load. */
export type PoolStrategyDefinition<Config = unknown> = ExtensionDefinition<Config, PoolStrategy>;

/** The first candidate with the lowest score (NaN counts as +Infinity); undefined for no candidates. */
export function lowestScore<C>(candidates: readonly C[], score: (candidate: C) => number): C | undefined {
  let best: C | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const raw = score(candidate);
    const value = Number.isNaN(raw) ? Number.POSITIVE_INFINITY : raw;
    if (best === undefined || value < bestScore) {
      best = candidate;
      bestScore = value;
    }
  }
  return best;
}
