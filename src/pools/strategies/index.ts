// Registry of pool-choice strategies: listed explicitly, looked up by the name the policy gives.
import { extensionRegistry } from '../../extension.ts';
import { cheapestPoolStrategy } from './cheapest.ts';
import { leastLoadedPoolStrategy } from './least-loaded.ts';
import { lowestLatencyPoolStrategy } from './lowest-latency.ts';
import { orderedPoolStrategy } from './ordered.ts';
import type { PoolStrategy, PoolStrategyDefinition } from './pool-strategy.ts';
import { weightedPoolStrategy } from './weighted.ts';

export type {
  ModelPricing,
  PoolCandidateView,
  PoolChoiceContext,
  PoolStrategy,
  PoolStrategyDefinition,
  StrategyPool,
} from './pool-strategy.ts';
export {
  cheapestPoolStrategy,
  leastLoadedPoolStrategy,
  lowestLatencyPoolStrategy,
  orderedPoolStrategy,
  weightedPoolStrategy,
};

/** What a model's pools are chosen by when the policy names no strategy: policy order, as before live state. */
export const DEFAULT_POOL_STRATEGY = 'ordered';

export const POOL_STRATEGIES: ReadonlyMap<string, PoolStrategyDefinition> = extensionRegistry([
  orderedPoolStrategy,
  leastLoadedPoolStrategy,
  lowestLatencyPoolStrategy,
  cheapestPoolStrategy,
  weightedPoolStrategy,
] as PoolStrategyDefinition[]);

/**
 * Builds the named strategy from its raw config (policy YAML). Throws an Error naming the known strategies for an
 * unknown name, and zod's error (with issue paths) for a bad config: call it at policy load, never per request.
 */
export function createPoolStrategy(name: string, rawConfig: unknown = {}): PoolStrategy {
  const definition = POOL_STRATEGIES.get(name);
  if (definition === undefined) {
    throw new Error(`unknown pool strategy '${name}' (known: ${[...POOL_STRATEGIES.keys()].join(', ')})`);
  }
  return definition.create(definition.configSchema.parse(rawConfig ?? {}));
}
