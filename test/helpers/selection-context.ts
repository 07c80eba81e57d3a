// A SelectionContext for unit tests of selection algorithms: a request, fresh live state and a seeded random.

import type { CompiledModel } from '../../src/policy/policy.ts';
import { PoolStateRegistry } from '../../src/pools/pool-state.ts';
import { seededRandom } from '../../src/seeded-random.ts';
import type { SelectionContext } from '../../src/selection/model-selector.ts';
import { ModelStatsRegistry } from '../../src/selection/model-stats.ts';
import { MemoryStore } from '../../src/state/shared-store.ts';
import { type ContextInput, contextFor } from './request-context.ts';

export interface SelectionContextInput {
  readonly request?: ContextInput | string;
  readonly decision?: string;
  readonly models?: ReadonlyMap<string, CompiledModel>;
  readonly pools?: PoolStateRegistry;
  readonly stats?: ModelStatsRegistry;
  readonly store?: SelectionContext['store'];
  readonly seed?: number;
}

export function selectionContext(input: SelectionContextInput = {}): SelectionContext {
  return {
    request: contextFor(input.request ?? 'hello'),
    signals: undefined,
    decision: input.decision ?? 'test-decision',
    models: input.models ?? new Map(),
    pools: input.pools ?? new PoolStateRegistry(),
    stats: input.stats ?? new ModelStatsRegistry(),
    store: input.store ?? new MemoryStore(),
    random: seededRandom(input.seed ?? 1),
  };
}
