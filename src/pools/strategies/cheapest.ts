// `cheapest`: the pool on which this request should cost least (GPU-hour price × expected request duration).
import { z } from 'zod';
import type { PoolCandidateView, PoolStrategyDefinition } from './pool-strategy.ts';
import { lowestScore } from './pool-strategy.ts';

export const cheapestConfigSchema = z.strictObject({
  /**
   * Expected duration (ms) of a request on a pool with no latency data yet. Default: the mean EWMA latency of the
   * candidates that have one; with none at all, pools are compared on `cost_per_hour` alone.
   */
  default_latency_ms: z.number().positive().optional(),
  /**
   * Pools without `cost_per_hour`: `last` (default; unknown is not free, set `cost_per_hour: 0` for a pool that is)
   * or `free`.
   */
  unknown_cost: z.enum(['last', 'free']).default('last'),
});

export type CheapestConfig = z.infer<typeof cheapestConfigSchema>;

/**
 * Estimated cost of the request on each pool, in cost_per_hour units. The model's token price is the same on every
 * pool and so cannot rank them; what differs is the price of the pool's time, and how long the request holds it.
 */
export function estimatedPoolCosts(
  candidates: readonly PoolCandidateView[],
  config: CheapestConfig,
): Map<PoolCandidateView, number> {
  const latencies = candidates
    .map((c) => c.view.ewmaLatencyMs)
    .filter((ms): ms is number => ms !== undefined);
  const mean = latencies.length === 0 ? undefined : latencies.reduce((a, b) => a + b, 0) / latencies.length;
  const fallbackMs = config.default_latency_ms ?? mean ?? 3_600_000;
  const costs = new Map<PoolCandidateView, number>();
  for (const c of candidates) {
    const perHour = c.pool.costPerHour ?? (config.unknown_cost === 'free' ? 0 : Number.POSITIVE_INFINITY);
    const hours = (c.view.ewmaLatencyMs ?? fallbackMs) / 3_600_000;
    costs.set(c, perHour === 0 ? 0 : perHour * hours);
  }
  return costs;
}

export const cheapestPoolStrategy: PoolStrategyDefinition<CheapestConfig> = {
  name: 'cheapest',
  configSchema: cheapestConfigSchema,
  create: (config) => ({
    name: 'cheapest',
    choose: (candidates) => {
      const costs = estimatedPoolCosts(candidates, config);
      return lowestScore(candidates, (c) => costs.get(c) ?? Number.POSITIVE_INFINITY);
    },
  }),
};
