// `lowest_latency`: the pool answering fastest by EWMA time-to-first-token (or whole-request latency).
import { z } from 'zod';
import type { PoolView } from '../pool-state.ts';
import type { PoolCandidateView, PoolStrategyDefinition } from './pool-strategy.ts';
import { lowestScore } from './pool-strategy.ts';

export const lowestLatencyConfigSchema = z.strictObject({
  /** `ttft` (default; what a streaming user feels) or `latency` (whole request); the other is the fallback. */
  metric: z.enum(['ttft', 'latency']).default('ttft'),
  /**
   * Pools without latency data yet. `explore` (default): a pool that has never served a request and has none in
   * flight is tried first, so a new pool gets a sample instead of being starved, one request at a time (not a
   * stampede); while that request runs, or if it produced no sample, the pool counts as average. `average`: always
   * treated as the mean of the pools that have data.
   */
  unknown: z.enum(['explore', 'average']).default('explore'),
});

export type LowestLatencyConfig = z.infer<typeof lowestLatencyConfigSchema>;

type Metric = 'ewmaTtftMs' | 'ewmaLatencyMs';

/**
 * The figure to compare: the preferred metric when every pool with data has it, else the other when every pool
 * with data has that (TTFT exists only for some responses), else per pool whichever it has, preferred first.
 */
function scorer(
  candidates: readonly PoolCandidateView[],
  prefer: Metric,
): (view: PoolView) => number | undefined {
  const other: Metric = prefer === 'ewmaTtftMs' ? 'ewmaLatencyMs' : 'ewmaTtftMs';
  const withData = candidates.filter(
    (c) => c.view.ewmaTtftMs !== undefined || c.view.ewmaLatencyMs !== undefined,
  );
  if (withData.every((c) => c.view[prefer] !== undefined)) return (v) => v[prefer];
  if (withData.every((c) => c.view[other] !== undefined)) return (v) => v[other];
  return (v) => v[prefer] ?? v[other];
}

export const lowestLatencyPoolStrategy: PoolStrategyDefinition<LowestLatencyConfig> = {
  name: 'lowest_latency',
  configSchema: lowestLatencyConfigSchema,
  create: (config) => {
    const prefer: Metric = config.metric === 'ttft' ? 'ewmaTtftMs' : 'ewmaLatencyMs';
    return {
      name: 'lowest_latency',
      choose: (candidates) => {
        if (config.unknown === 'explore') {
          const fresh = candidates.find((c) => c.view.requests === 0 && c.view.inFlight === 0);
          if (fresh !== undefined) return fresh;
        }
        const score = scorer(candidates, prefer);
        const known = candidates.map((c) => score(c.view)).filter((s): s is number => s !== undefined);
        const average = known.length === 0 ? 0 : known.reduce((a, b) => a + b, 0) / known.length;
        return lowestScore(candidates, (c) => score(c.view) ?? average);
      },
    };
  },
};
