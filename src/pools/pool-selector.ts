// Pool choice: among the model's pools that fit the request and whose circuit breaker admits it, the one the model's
// strategy ranks first (src/pools/strategies/); 503 with the reason (and a Retry-After) when none is left.
import { NoPoolError } from '../errors.ts';
import type { PoolStateRegistry } from './pool-state.ts';
import type { ModelPricing, PoolStrategy, StrategyPool } from './strategies/index.ts';

export interface PoolCandidate {
  readonly name: string;
  readonly envoyCluster: string;
  readonly maxContextTokens: number;
}

export interface PoolChoice<P extends PoolCandidate> {
  readonly pool: P;
  /** Tokens the request needs: estimated prompt plus requested completion budget. */
  readonly requiredTokens: number;
}

export function chooseFirstFittingPool<P extends PoolCandidate>(
  modelName: string,
  pools: readonly P[],
  requiredTokens: number,
  modelContextWindow?: number,
): PoolChoice<P> {
  if (modelContextWindow !== undefined && requiredTokens > modelContextWindow) {
    throw new NoPoolError(
      `Request needs about ${requiredTokens} tokens but model '${modelName}' has a context window of ${modelContextWindow}`,
    );
  }
  const pool = pools.find((p) => p.maxContextTokens >= requiredTokens);
  if (!pool) {
    const largest = Math.max(0, ...pools.map((p) => p.maxContextTokens));
    throw new NoPoolError(
      `No pool of model '${modelName}' fits a request of about ${requiredTokens} tokens (largest pool context: ${largest})`,
    );
  }
  return { pool, requiredTokens };
}

export interface PoolChoiceInput<P> {
  readonly modelName: string;
  readonly modelContextWindow: number | undefined;
  readonly pricing: ModelPricing | undefined;
  /** The pools the request may use, in policy order (reserved pools already left out). */
  readonly pools: readonly P[];
  readonly strategy: PoolStrategy;
  readonly requiredTokens: number;
  readonly promptTokens: number;
  readonly expectedCompletionTokens: number;
  readonly state: PoolStateRegistry;
  readonly random: () => number;
}

/**
 * The pool for a request (fits its tokens, breaker admits it, ranked first by the strategy) and the one the strategy
 * ranks next among the rest (for a failover retry), if any.
 */
export function choosePool<P extends PoolCandidate & StrategyPool>(
  input: PoolChoiceInput<P>,
): { readonly pool: P; readonly fallback: P | undefined } {
  const { pools, state, requiredTokens } = input;
  const { pool: firstFit } = chooseFirstFittingPool(
    input.modelName,
    pools,
    requiredTokens,
    input.modelContextWindow,
  );
  const fitting = pools.filter((p) => p.maxContextTokens >= requiredTokens);
  const admitted = fitting.filter((p) => state.admit(p.name));
  if (admitted.length === 0) {
    const retryMs = Math.min(...fitting.map((p) => state.retryAfterMs(p.name)));
    throw new NoPoolError(
      `Every pool of model '${input.modelName}' that fits the request is unavailable (circuit breaker open: ${fitting.map((p) => p.name).join(', ')})`,
      Math.max(1, Math.ceil(retryMs / 1000)),
    );
  }
  const context = {
    requiredTokens,
    promptTokens: input.promptTokens,
    expectedCompletionTokens: input.expectedCompletionTokens,
    model: { name: input.modelName, pricing: input.pricing },
    random: input.random,
  };
  const candidates = admitted.map((pool) => ({ pool, view: state.view(pool.name) }));
  const pool = input.strategy.choose(candidates, context)?.pool ?? admitted[0] ?? firstFit;
  const rest = candidates.filter((candidate) => candidate.pool !== pool);
  const fallback =
    rest.length === 0 ? undefined : (input.strategy.choose(rest, context)?.pool ?? rest[0]?.pool);
  return { pool, fallback };
}
