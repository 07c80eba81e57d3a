// Policy `rate_limits.shedding`: while a pool is saturated, requests of low-priority decisions are refused first.
import { z } from 'zod';

export const sheddingSchema = z.strictObject({
  /** Pools shedding protects; default: every pool with a capacity figure. */
  pools: z.array(z.string().min(1)).min(1, 'list at least one pool, or omit pools').optional(),
  /**
   * Requests in flight each pool serves at full load (e.g. vLLM `max_num_seqs` × replicas). A pool not listed takes
   * the `least_loaded` pool strategy's `capacity` figure when the policy has one.
   */
  capacity: z.record(z.string(), z.number().positive()).default({}),
  /** Share of the capacity in flight from which the pool counts as saturated. */
  saturation: z.number().gt(0).max(1).default(0.9),
  /**
   * While the pool is saturated, requests whose decision's priority is below this are shed (a request without a
   * decision counts as priority 0, the default of a decision's `priority`).
   */
  min_priority: z.number().int(),
  /** Also read the engine's scraped `waiting + running` (when fresh), which sees every replica's requests. */
  use_scraped: z.boolean().default(true),
  /** `Retry-After` of a shed request: saturation ends when requests finish, which no clock predicts. */
  retry_after_seconds: z.number().int().positive().max(3600).default(1),
});

export type SheddingDocument = z.infer<typeof sheddingSchema>;
