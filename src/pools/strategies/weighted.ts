// `weighted`: random choice in proportion to per-pool weights (traffic splits, canary pools, gradual migrations).
import { z } from 'zod';
import type { PoolCandidateView, PoolStrategyDefinition } from './pool-strategy.ts';

export const weightedConfigSchema = z.strictObject({
  /** Per pool name: relative share of traffic; 0 drains the pool. */
  weights: z.record(z.string(), z.number().nonnegative()).default({}),
  /** Weight of a pool named neither here nor by its own `weight`. */
  default_weight: z.number().nonnegative().default(1),
});

export type WeightedConfig = z.infer<typeof weightedConfigSchema>;

export const weightedPoolStrategy: PoolStrategyDefinition<WeightedConfig> = {
  name: 'weighted',
  configSchema: weightedConfigSchema,
  create: (config) => {
    const weightOf = (c: PoolCandidateView): number => {
      const w = config.weights[c.pool.name] ?? c.pool.weight ?? config.default_weight;
      return Number.isFinite(w) && w > 0 ? w : 0;
    };
    return {
      name: 'weighted',
      choose: (candidates, context) => {
        const weights = candidates.map(weightOf);
        const total = weights.reduce((a, b) => a + b, 0);
        // Every admissible pool drained: serving from the first beats answering 503.
        if (total <= 0) return candidates[0];
        let point = Math.min(Math.max(context.random(), 0), 1) * total;
        let last: (typeof candidates)[number] | undefined;
        for (const [i, candidate] of candidates.entries()) {
          const weight = weights[i] ?? 0;
          if (weight <= 0) continue;
          last = candidate;
          point -= weight;
          if (point < 0) return candidate;
        }
        // random() returned 1 (or rounding left a sliver): the last pool with weight.
        return last;
      },
    };
  },
};
