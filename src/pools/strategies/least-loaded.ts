// `least_loaded`: the pool with the fewest requests per unit of capacity, from in-flight counts and scraped queues.
import { z } from 'zod';
import type { PoolCandidateView, PoolStrategyDefinition } from './pool-strategy.ts';
import { lowestScore } from './pool-strategy.ts';

export const leastLoadedConfigSchema = z.strictObject({
  /**
   * Per pool name: how many concurrent requests the pool serves comfortably (e.g. vLLM `max_num_seqs` × replicas).
   * The load is divided by it, so a pool twice as big takes twice the requests. Pools not listed count 1.
   */
  capacity: z.record(z.string(), z.number().positive()).default({}),
  /** Whether to read the engine's own queue (scraped `waiting` + `running`) when it is fresh. */
  use_scraped: z.boolean().default(true),
});

export type LeastLoadedConfig = z.infer<typeof leastLoadedConfigSchema>;

/**
 * Requests on the pool. This replica's in-flight count is current but misses other replicas' requests; the
 * engine's scraped `waiting + running` sees every replica but lags by up to one scrape interval and already
 * includes this replica's older requests. Adding them would count those twice (and make a scraped pool look
 * busier than an unscraped one), so the larger of the two is taken: a lower bound on the true load.
 */
export function poolLoad(candidate: PoolCandidateView, useScraped = true): number {
  const { inFlight, scraped } = candidate.view;
  if (!useScraped || scraped === undefined) return inFlight;
  return Math.max(inFlight, (scraped.waiting ?? 0) + (scraped.running ?? 0));
}

export const leastLoadedPoolStrategy: PoolStrategyDefinition<LeastLoadedConfig> = {
  name: 'least_loaded',
  configSchema: leastLoadedConfigSchema,
  create: (config) => ({
    name: 'least_loaded',
    choose: (candidates) =>
      lowestScore(candidates, (c) => poolLoad(c, config.use_scraped) / (config.capacity[c.pool.name] ?? 1)),
  }),
};
