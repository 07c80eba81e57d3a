// Model selection algorithms: which of a decision's modelRefs serves the request.
import { z } from 'zod';
import type { ExtensionDefinition } from '../extension.ts';
import { type LazyDefinition, LazyRegistry } from '../lazy-registry.ts';
import type { CompiledModel } from '../policy/policy.ts';
import type { PoolStateRegistry } from '../pools/pool-state.ts';
import type { RequestContext } from '../request/request-context.ts';
import type { FinishReason } from '../response/finish-reason.ts';
import { seededRandom } from '../seeded-random.ts';
import type { SignalReport } from '../signals/signal-engine.ts';
import type { SharedStore } from '../state/shared-store.ts';
import type { LooperCaller } from './looper/looper-caller.ts';
import type { LooperAnswer } from './looper/looper-run.ts';
import type { ModelStatsRegistry } from './model-stats.ts';

export interface ModelCandidate {
  readonly model: string;
  readonly useReasoning: boolean;
  readonly weight: number;
  readonly loraName?: string;
}

/**
 * What an algorithm may weigh besides the candidates: the request, its signals, the policy's models (pricing,
 * quality, pools, context window), the live pool and model figures, and the store replicas share.
 */
export interface SelectionContext {
  readonly request: RequestContext;
  readonly signals: SignalReport | undefined;
  /** The winning decision's name. */
  readonly decision: string;
  readonly models: ReadonlyMap<string, CompiledModel>;
  readonly pools: PoolStateRegistry;
  readonly stats: ModelStatsRegistry;
  readonly store: SharedStore;
  readonly random: () => number;
  /** Where looper algorithms send their model calls (policy `looper`); absent when the policy names none. */
  readonly looper?: LooperCaller | undefined;
  /** Fires when the client goes away: a looper stops its calls. */
  readonly signal?: AbortSignal | undefined;
}

/** How one candidate fared, for `explain`, debug headers and the selection span. */
export interface CandidateScore {
  readonly model: string;
  /** Higher is better; the algorithm's own scale. */
  readonly score: number;
  /** The terms behind the score (e.g. quality, cost, latency), each on the algorithm's scale. */
  readonly parts?: Readonly<Record<string, number>>;
  /** Why the candidate could not be chosen (e.g. `slo: ttft p95 900 ms > 800 ms`). */
  readonly excluded?: string;
}

/** An algorithm's choice, with what explains it. */
export interface Selection<C extends ModelCandidate> {
  readonly candidate: C;
  readonly scores?: readonly CandidateScore[];
  /** One line on why (e.g. `lowest ttft p95`, `session affinity`, `explored`). */
  readonly reason?: string;
  /** Whatever the algorithm wants back with this request's outcome (e.g. the features a bandit scored). */
  readonly memo?: unknown;
  /** A looper's own answer: the router answers the client with it instead of sending the request upstream. */
  readonly answer?: LooperAnswer;
}

/** How the request an algorithm routed ended (response stage), or what a client said of the answer. */
export interface SelectionOutcome {
  readonly decision: string;
  readonly model: string;
  /** Envoy's `x-request-id` of the request, when present. */
  readonly requestId: string | undefined;
  readonly memo: unknown;
  readonly status: number | undefined;
  readonly failed: boolean;
  readonly ttftMs?: number | undefined;
  readonly tpotMs?: number | undefined;
  readonly latencyMs?: number | undefined;
  readonly cost?: number | undefined;
  /** Why the answer ended (`length`: cut off by the token limit), when the response stage read it. */
  readonly finishReason?: FinishReason | undefined;
  /** Completion tokens the answer's usage reported. */
  readonly completionTokens?: number | undefined;
  readonly store: SharedStore;
}

/** What a client said of an answer the algorithm chose (explicit feedback naming the request's id). */
export interface SelectionFeedback {
  readonly decision: string;
  readonly model: string;
  /** The memo the algorithm returned with its choice. */
  readonly memo: unknown;
  /** 0 (bad) … 1 (good); 0.5 is neutral. */
  readonly score: number;
  readonly store: SharedStore;
}

/** A preference between two of a decision's candidates (the peer's winner/loser feedback). */
export interface SelectionComparison {
  readonly decision: string;
  readonly winner: string;
  readonly loser: string;
  readonly tie: boolean;
  readonly store: SharedStore;
}

export interface ModelSelector {
  readonly algorithm: string;
  /** Makes model calls through the policy's `looper` endpoint (a policy without one gets a load warning). */
  readonly needsLooper?: boolean;
  /** Models the algorithm's config names (a judge, a planner, a helper): each must be a model of the policy. */
  readonly configModels?: readonly string[];
  /** Chooses among candidates (never empty, in the decision's order). May wait on the shared store. */
  select<C extends ModelCandidate>(
    candidates: readonly C[],
    context: SelectionContext,
  ): Selection<C> | Promise<Selection<C>>;
  /** Learns from the answer to a request it routed. Must not throw. */
  observe?(outcome: SelectionOutcome): void | Promise<void>;
  /** Learns from explicit feedback on an answer it chose (src/selection/online/feedback.ts). */
  feedback?(feedback: SelectionFeedback): Promise<void>;
  /** Learns from a preference between two candidates. */
  compare?(comparison: SelectionComparison): Promise<void>;
}

/** A model-selection algorithm: `algorithm: {type: <name>, <name>: {...}}` on a decision. */
export type SelectionAlgorithm<Config> = ExtensionDefinition<Config, ModelSelector>;

/** Always the first modelRef: the decision author's order is the preference. */
export const staticSelection: SelectionAlgorithm<Record<string, unknown>> = {
  name: 'static',
  configSchema: z.object({}).loose(),
  create: () => ({
    algorithm: 'static',
    select: <C extends ModelCandidate>(candidates: readonly C[]): Selection<C> => ({
      candidate: candidates[0] as C,
    }),
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
      select: <C extends ModelCandidate>(candidates: readonly C[]): Selection<C> => {
        const total = candidates.reduce((sum, c) => sum + c.weight, 0);
        if (total <= 0) return { candidate: candidates[0] as C };
        let point = random() * total;
        for (const candidate of candidates) {
          point -= candidate.weight;
          if (point < 0) return { candidate };
        }
        return { candidate: candidates.at(-1) as C };
      },
    };
  },
};

type AnyAlgorithm = SelectionAlgorithm<never>;

const defined = (algorithm: AnyAlgorithm): LazyDefinition<AnyAlgorithm> => ({
  name: algorithm.name,
  definition: algorithm,
});

/** One of several algorithms a module exports as a list. */
function fromList(
  name: string,
  list: () => Promise<readonly SelectionAlgorithm<never>[]>,
): LazyDefinition<AnyAlgorithm> {
  return {
    name,
    async load() {
      const algorithm = (await list()).find((a) => a.name === name);
      if (!algorithm)
        throw new Error(`selection algorithm '${name}' is not in the module it is registered from`);
      return algorithm;
    },
  };
}

const learned = async () =>
  (await import('./learned/learned-selection.ts')).learnedSelections.map((a) => a as AnyAlgorithm);
const loopers = async () => (await import('./looper/index.ts')).looperSelections;

/**
 * Every algorithm, by the `type` policies write; a module is imported when a policy names its algorithm
 * (src/policy/load-named-extensions.ts). `static` and `weighted` are defined here, loaded from the start.
 */
export const selectionAlgorithms: LazyRegistry<AnyAlgorithm> = new LazyRegistry<AnyAlgorithm>(
  [
    defined(staticSelection as AnyAlgorithm),
    defined(weightedSelection as AnyAlgorithm),
    {
      name: 'latency_aware',
      load: async () => (await import('./algorithms/latency-aware.ts')).latencyAwareSelection as AnyAlgorithm,
    },
    {
      name: 'multi_factor',
      load: async () => (await import('./algorithms/multi-factor.ts')).multiFactorSelection as AnyAlgorithm,
    },
    {
      name: 'hybrid',
      load: async () => (await import('./algorithms/hybrid.ts')).hybridSelection as AnyAlgorithm,
    },
    {
      name: 'session_aware',
      // Its `fallback_method` may name any other algorithm: its config schema looks them up while parsing.
      async load() {
        const { sessionAwareSelection } = await import('./algorithms/session-aware.ts');
        await selectionAlgorithms.load(
          [...selectionAlgorithms.keys()].filter((name) => name !== 'session_aware'),
        );
        return sessionAwareSelection((name) => selectionAlgorithms.get(name)) as AnyAlgorithm;
      },
    },
    {
      name: 'automix',
      load: async () => (await import('./algorithms/automix.ts')).automixSelection() as AnyAlgorithm,
    },
    fromList('knn', learned),
    fromList('kmeans', learned),
    fromList('svm', learned),
    fromList('mlp', learned),
    { name: 'elo', load: async () => (await import('./online/elo.ts')).eloSelection as AnyAlgorithm },
    {
      name: 'rl_driven',
      load: async () => (await import('./online/rl-driven.ts')).rlDrivenSelection as AnyAlgorithm,
    },
    fromList('confidence', loopers),
    fromList('ratings', loopers),
    fromList('remom', loopers),
    fromList('fusion', loopers),
    fromList('workflows', loopers),
    fromList('prompt', loopers),
    {
      name: 'router_dc',
      load: async () =>
        (await import('./router-dc/router-dc-selection.ts')).routerDcSelection as AnyAlgorithm,
    },
  ],
  (algorithm) => algorithm.name,
);
