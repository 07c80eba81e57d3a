// `ordered`: the first admissible pool in the model's policy order (the router's behaviour before live state).
import { z } from 'zod';
import type { PoolStrategyDefinition } from './pool-strategy.ts';

export type OrderedConfig = Record<string, never>;

export const orderedPoolStrategy: PoolStrategyDefinition<OrderedConfig> = {
  name: 'ordered',
  configSchema: z.strictObject({}) as z.ZodType<OrderedConfig>,
  create: () => ({
    name: 'ordered',
    choose: (candidates) => candidates[0],
  }),
};
