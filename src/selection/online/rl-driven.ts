// `rl_driven`: a contextual bandit over the decision's candidates. Each (decision, context, model) arm keeps a Beta
// posterior of its reward; the context is the request's prompt-length bucket and the matched signals of the chosen
// types. Rewards come from the response stage (success, and optionally cost and latency) and from explicit feedback.
//
// Exploration is bounded: with probability ε(n) = max(min_exploration, exploration_rate · exploration_decay^(n/100))
// the request explores (a Thompson draw from the posteriors, or a uniform pick without Thompson sampling); otherwise
// the arm with the best posterior mean serves. n counts the decision's outcomes. Posteriors start at Beta(1, 1).
//
// State lives in the shared store as added evidence per arm (`a:`/`b:` fields incremented atomically), so replicas
// on one Redis learn together.
import { z } from 'zod';
import type { SharedStore } from '../../state/shared-store.ts';
import type {
  CandidateScore,
  ModelCandidate,
  ModelSelector,
  Selection,
  SelectionAlgorithm,
  SelectionComparison,
  SelectionContext,
  SelectionFeedback,
  SelectionOutcome,
} from '../model-selector.ts';
import { sampleBeta } from './beta-sampler.ts';
import { peerField, rejectUnsupported } from './peer-fields.ts';

const contextSchema = z.strictObject({
  /** Prompt token counts splitting requests into buckets (e.g. [1000, 8000]: short, medium, long). */
  prompt_length_buckets: z.array(z.number().int().positive()).max(8).default([]),
  /** Signal types (`complexity`, `domain`, …) whose matched names are part of the context. */
  signal_types: z.array(z.string().min(1)).max(4).default([]),
});

const rlDrivenSchema = rejectUnsupported(
  z.strictObject({
    use_thompson_sampling: z.boolean().default(true),
    exploration_rate: z.number().min(0).max(1).default(0.3),
    /** Multiplies the exploration rate per 100 outcomes of the decision. */
    exploration_decay: z.number().gt(0).max(1).default(0.99),
    min_exploration: z.number().min(0).max(1).default(0.05),
    /** Weight of a response-stage outcome relative to one explicit feedback (weight 1). */
    implicit_feedback_weight: z.number().min(0).max(1).default(0.5),
    /** Share of the reward given to cost (Router-R1's α): 1 for the cheapest candidate, 0 at `max_cost` or dearest. */
    cost_reward_alpha: z.number().min(0).max(1).default(0),
    /** Cost of one request at which its cost reward reaches 0; without it, candidates' prices rank them. */
    max_cost: z.number().positive().optional(),
    /** Share of the reward given to latency: min(1, latency_target_ms / TTFT, else end-to-end latency). */
    latency_weight: z.number().min(0).max(1).default(0),
    latency_target_ms: z.number().positive().optional(),
    /** How much the evidence of the decision's other contexts counts in a context (0: alone; 1: fully shared). */
    global_prior_weight: z.number().min(0).max(1).default(0.5),
    context: contextSchema.default({ prompt_length_buckets: [], signal_types: [] }),
    enable_personalization: peerField,
    personalization_blend: peerField,
    session_context_weight: peerField,
    cost_awareness: peerField,
    cost_weight: peerField,
    use_router_r1_rewards: peerField,
    format_reward_penalty: peerField,
    model_cost_per_token: peerField,
    enable_llm_routing: peerField,
    llm_router_server_url: peerField,
    llm_router_query_template: peerField,
    llm_router_query_template_file: peerField,
    llm_routing_fallback: peerField,
    enable_multi_round_aggregation: peerField,
    max_aggregation_rounds: peerField,
    storage_path: peerField,
    auto_save_interval: peerField,
  }),
  {
    enable_personalization: 'per-user preferences are not kept; use context.signal_types for request context',
    personalization_blend: 'per-user preferences are not kept',
    session_context_weight: 'per-session figures are not kept (see session_aware)',
    cost_awareness: 'cost enters the reward instead: use cost_reward_alpha',
    cost_weight: 'cost enters the reward instead: use cost_reward_alpha',
    use_router_r1_rewards:
      'an ext_proc router cannot check answer format; the reward is success, cost and latency',
    format_reward_penalty: 'an ext_proc router cannot check answer format',
    model_cost_per_token: 'costs come from the models’ pricing',
    enable_llm_routing: 'calling a router LLM per request is not supported',
    llm_router_server_url: 'calling a router LLM per request is not supported',
    llm_router_query_template: 'calling a router LLM per request is not supported',
    llm_router_query_template_file: 'calling a router LLM per request is not supported',
    llm_routing_fallback: 'calling a router LLM per request is not supported',
    enable_multi_round_aggregation: 'an ext_proc router sends each request to one model',
    max_aggregation_rounds: 'an ext_proc router sends each request to one model',
    storage_path: 'state lives in the policy’s state_store (memory or redis), not in a file',
    auto_save_interval: 'state is written to the state_store on every update',
  },
).superRefine((config, context) => {
  if (config.latency_weight > 0 && config.latency_target_ms === undefined)
    context.addIssue({
      code: 'custom',
      path: ['latency_target_ms'],
      message: 'latency_weight needs latency_target_ms',
    });
  if (config.cost_reward_alpha + config.latency_weight > 1)
    context.addIssue({
      code: 'custom',
      path: ['cost_reward_alpha'],
      message: 'cost_reward_alpha + latency_weight must not exceed 1 (the rest rewards success)',
    });
  if (config.min_exploration > config.exploration_rate)
    context.addIssue({
      code: 'custom',
      path: ['min_exploration'],
      message: 'min_exploration must not exceed exploration_rate',
    });
});

export type RlDrivenConfig = z.infer<typeof rlDrivenSchema>;

const GLOBAL_CONTEXT = '*';
const armsKey = (decision: string, context: string) => `rl:${decision}:${context}`;
const OUTCOMES_FIELD = 'n';

interface RlMemo {
  readonly candidates: readonly string[];
  readonly context: string;
  /** Cost reward of each candidate from its price among the candidates (when max_cost is not set). */
  readonly priceRewards: Readonly<Record<string, number>>;
}

function isRlMemo(memo: unknown): memo is RlMemo {
  return (
    typeof memo === 'object' && memo !== null && typeof (memo as { context?: unknown }).context === 'string'
  );
}

interface Arm {
  readonly alpha: number;
  readonly beta: number;
}

export class RlDrivenSelector implements ModelSelector {
  readonly algorithm = 'rl_driven';

  constructor(private readonly config: RlDrivenConfig) {}

  /** The request's context key: prompt-length bucket and matched signals of the configured types. */
  contextKey(context: SelectionContext): string {
    const parts: string[] = [];
    const buckets = this.config.context.prompt_length_buckets;
    if (buckets.length > 0) {
      const bucket = buckets.filter((limit) => context.request.promptTokens >= limit).length;
      parts.push(`len${bucket}`);
    }
    const types = this.config.context.signal_types;
    if (types.length > 0 && context.signals) {
      const matched = [...context.signals.matches.keys()].filter((key) =>
        types.includes(key.split(':')[0] ?? ''),
      );
      parts.push(...matched.sort());
    }
    return parts.length === 0 ? GLOBAL_CONTEXT : parts.join('|');
  }

  /** Exploration rate after `outcomes` outcomes of the decision. */
  explorationRate(outcomes: number): number {
    const { exploration_rate, exploration_decay, min_exploration } = this.config;
    return Math.max(min_exploration, exploration_rate * exploration_decay ** (outcomes / 100));
  }

  async select<C extends ModelCandidate>(
    candidates: readonly C[],
    context: SelectionContext,
  ): Promise<Selection<C>> {
    const names = candidates.map((c) => c.model);
    const key = this.contextKey(context);
    const [global, local] = await Promise.all([
      context.store.readFields(armsKey(context.decision, GLOBAL_CONTEXT)),
      key === GLOBAL_CONTEXT
        ? Promise.resolve(undefined)
        : context.store.readFields(armsKey(context.decision, key)),
    ]);
    const arms = names.map((name) => this.arm(name, global, local));
    const means = arms.map((arm) => arm.alpha / (arm.alpha + arm.beta));
    let greedy = 0;
    means.forEach((mean, index) => {
      if (mean > (means[greedy] as number)) greedy = index;
    });
    const epsilon = this.explorationRate(global[OUTCOMES_FIELD] ?? 0);
    let chosen = greedy;
    let reason = 'highest mean reward';
    let draws: number[] | undefined;
    if (candidates.length > 1 && context.random() < epsilon) {
      if (this.config.use_thompson_sampling) {
        draws = arms.map((arm) => sampleBeta(arm.alpha, arm.beta, context.random));
        chosen = draws.indexOf(Math.max(...draws));
        reason = 'explored: thompson draw';
      } else {
        chosen = Math.floor(context.random() * candidates.length);
        reason = 'explored: uniform';
      }
    }
    const scores: CandidateScore[] = names.map((name, index) => ({
      model: name,
      score: means[index] as number,
      parts: {
        alpha: (arms[index] as Arm).alpha,
        beta: (arms[index] as Arm).beta,
        ...(draws && { draw: draws[index] as number }),
        exploration_rate: epsilon,
      },
    }));
    const memo: RlMemo = { candidates: names, context: key, priceRewards: this.priceRewards(names, context) };
    return { candidate: candidates[chosen] as C, scores, reason, memo };
  }

  /** The response stage's outcome as a reward in [0, 1], at `implicit_feedback_weight`. */
  async observe(outcome: SelectionOutcome): Promise<void> {
    if (!isRlMemo(outcome.memo) || this.config.implicit_feedback_weight === 0) return;
    await this.learn(
      outcome.store,
      outcome.decision,
      outcome.model,
      outcome.memo.context,
      this.reward(outcome),
      this.config.implicit_feedback_weight,
      true,
    );
  }

  /** Explicit feedback: the client's score is the reward, at weight 1. */
  async feedback(feedback: SelectionFeedback): Promise<void> {
    const context = isRlMemo(feedback.memo) ? feedback.memo.context : GLOBAL_CONTEXT;
    await this.learn(feedback.store, feedback.decision, feedback.model, context, feedback.score, 1, false);
  }

  /** A preference: a success for the winner and a failure for the loser (half of each on a tie), decision-wide. */
  async compare({ store, decision, winner, loser, tie }: SelectionComparison): Promise<void> {
    await Promise.all([
      this.learn(store, decision, winner, GLOBAL_CONTEXT, tie ? 0.5 : 1, 1, false),
      this.learn(store, decision, loser, GLOBAL_CONTEXT, tie ? 0.5 : 0, 1, false),
    ]);
  }

  /** Success, cost and latency terms weighted by the policy; a failed answer earns 0. */
  reward(outcome: SelectionOutcome): number {
    const failed = outcome.failed || (outcome.status !== undefined && outcome.status >= 500);
    if (failed) return 0;
    const { cost_reward_alpha: costShare, latency_weight: latencyShare } = this.config;
    let reward = 1 - costShare - latencyShare;
    if (costShare > 0) {
      const memo = outcome.memo as RlMemo;
      const costReward =
        this.config.max_cost !== undefined && outcome.cost !== undefined
          ? 1 - Math.min(outcome.cost / this.config.max_cost, 1)
          : (memo.priceRewards[outcome.model] ?? 1);
      reward += costShare * costReward;
    }
    if (latencyShare > 0) {
      const observed = outcome.ttftMs ?? outcome.latencyMs;
      const target = this.config.latency_target_ms as number;
      reward += latencyShare * (observed === undefined || observed <= 0 ? 1 : Math.min(1, target / observed));
    }
    return Math.min(1, Math.max(0, reward));
  }

  /** Beta(1 + own evidence + w · evidence of the decision's other contexts) with w = global_prior_weight. */
  private arm(model: string, global: Record<string, number>, local: Record<string, number> | undefined): Arm {
    const evidence = (field: string) => {
      const all = global[field] ?? 0;
      if (!local) return all;
      const own = local[field] ?? 0;
      return own + this.config.global_prior_weight * Math.max(0, all - own);
    };
    return { alpha: 1 + evidence(`a:${model}`), beta: 1 + evidence(`b:${model}`) };
  }

  private async learn(
    store: SharedStore,
    decision: string,
    model: string,
    context: string,
    reward: number,
    weight: number,
    countOutcome: boolean,
  ): Promise<void> {
    const evidence = { [`a:${model}`]: reward * weight, [`b:${model}`]: (1 - reward) * weight };
    const writes = [
      store.incrementFields(armsKey(decision, GLOBAL_CONTEXT), {
        ...evidence,
        ...(countOutcome && { [OUTCOMES_FIELD]: 1 }),
      }),
    ];
    if (context !== GLOBAL_CONTEXT) writes.push(store.incrementFields(armsKey(decision, context), evidence));
    await Promise.all(writes);
  }

  private priceRewards(names: readonly string[], context: SelectionContext): Record<string, number> {
    const rewards: Record<string, number> = {};
    if (this.config.cost_reward_alpha === 0) return rewards;
    const price = (name: string) => {
      const pricing = context.models.get(name)?.pricing;
      return pricing ? (pricing.promptPer1m ?? 0) + (pricing.completionPer1m ?? 0) : undefined;
    };
    const known = names.map(price).filter((p): p is number => p !== undefined);
    const low = Math.min(...known);
    const high = Math.max(...known);
    for (const name of names) {
      const value = price(name);
      rewards[name] = value === undefined || high === low ? 1 : 1 - (value - low) / (high - low);
    }
    return rewards;
  }
}

export const rlDrivenSelection: SelectionAlgorithm<RlDrivenConfig> = {
  name: 'rl_driven',
  configSchema: rlDrivenSchema,
  create: (config) => new RlDrivenSelector(config),
};
