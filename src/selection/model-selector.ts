// Model selection algorithms: which of a decision's modelRefs serves the request.
import { z } from 'zod';
import { type ExtensionDefinition, extensionRegistry } from '../extension.ts';
import type { PoolStateRegistry } from '../pools/pool-state.ts';
import type { RequestContext } from '../request/request-context.ts';
import { seededRandom } from '../seeded-random.ts';
import type { SignalReport } from '../signals/signal-engine.ts';

export interface ModelCandidate {
  readonly model: string;
  readonly useReasoning: boolean;
  readonly weight: number;
  readonly loraName?: string;
}

/** What an algorithm may weigh besides the candidates: the request, its signals and the live pool state. */
export interface SelectionContext {
  readonly request: RequestContext;
  readonly signals: SignalReport | undefined;
  readonly pools: PoolStateRegistry;
}

export interface ModelSelector {
  readonly algorithm: string;
  select<C extends ModelCandidate>(candidates: readonly C[], context?: SelectionContext): C;
}

/** A model-selection algorithm: `algorithm: {type: <name>, <name>: {...}}` on a decision. */
export type SelectionAlgorithm<Config> = ExtensionDefinition<Config, ModelSelector>;

/** Always the first modelRef: the decision author's order is the preference. */
export const staticSelection: SelectionAlgorithm<Record<string, unknown>> = {
  name: 'static',
  configSchema: z.object({}).loose(),
  create: () => ({
    algorithm: 'static',
    select: <C extends ModelCandidate>(candidates: readonly C[]) => candidates[0] as C,
  }),
};

/** Picks a modelRef at random in proportion to its `weight` (traffic splitting, canaries). */
export const weightedSelection: SelectionAlgorithm<{ seed?: number | undefined }> = {
  name: 'weighted',
  configSchema: z.object({ seed: z.number().int().optional() }).loose(),
  create: (config) => {
    const random = config.seed === undefined ? Math.random : seededRandom(config.seed);
    return {
      algorithm: 'weighted',
      select: <C extends ModelCandidate>(candidates: readonly C[]): C => {
        const total = candidates.reduce((sum, c) => sum + c.weight, 0);
        if (total <= 0) return candidates[0] as C;
        let point = random() * total;
        for (const candidate of candidates) {
          point -= candidate.weight;
          if (point < 0) return candidate;
        }
        return candidates.at(-1) as C;
      },
    };
  },
};

export const selectionAlgorithms: ReadonlyMap<string, SelectionAlgorithm<never>> = extensionRegistry([
  staticSelection,
  weightedSelection,
] as SelectionAlgorithm<never>[]);
