// `elo`: ratings per model (per decision with `category_weighted`), learned from feedback; the highest-rated
// candidate serves. The peer's fields and semantics (Bradley–Terry selection probability, K factor, initial rating,
// winner/loser feedback, self-feedback of K/10 for a lone candidate). Ratings live in the shared store as offsets
// from `initial_rating`, so replicas add their updates to the same figures with atomic increments.
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
import { peerField, rejectUnsupported } from './peer-fields.ts';

const eloSchema = rejectUnsupported(
  z.strictObject({
    initial_rating: z.number().default(1500),
    k_factor: z.number().positive().max(400).default(32),
    /** Ratings per decision (falling back to the global rating of a model the decision has not rated yet). */
    category_weighted: z.boolean().default(true),
    /** Comparisons after which a rating counts as settled (the `confidence` part of the scores). */
    min_comparisons: z.number().int().min(0).default(5),
    /** Bonus of cheaper candidates (by prompt price): probability × (1 + (1 − relative price) × factor). */
    cost_scaling_factor: z.number().min(0).max(10).default(0),
    /** Share of requests sent to a candidate other than the best-rated one (ours; the peer never explores). */
    exploration_rate: z.number().min(0).max(0.5).default(0),
    /** Weight of a failed answer (5xx, reset) as a loss of the model that gave it; 0: only explicit feedback. */
    implicit_feedback_weight: z.number().min(0).max(1).default(0.5),
    decay_factor: peerField,
    storage_path: peerField,
    auto_save_interval: peerField,
  }),
  {
    decay_factor: 'ratings do not decay here',
    storage_path: 'ratings live in the policy’s state_store (memory or redis), not in a file',
    auto_save_interval: 'ratings are written to the state_store on every update',
  },
);

export type EloConfig = z.infer<typeof eloSchema>;

const GLOBAL = '_global';
const ratingField = (model: string) => `r:${model}`;
const countField = (model: string) => `n:${model}`;
const ratingsKey = (scope: string) => `elo:${scope}`;

interface Rating {
  readonly rating: number;
  readonly comparisons: number;
}

/** What `select` leaves for feedback: the candidates it chose among. */
interface EloMemo {
  readonly candidates: readonly string[];
}

function isEloMemo(memo: unknown): memo is EloMemo {
  return (
    typeof memo === 'object' && memo !== null && Array.isArray((memo as { candidates?: unknown }).candidates)
  );
}

export class EloSelector implements ModelSelector {
  readonly algorithm = 'elo';

  constructor(private readonly config: EloConfig) {}

  /** Ratings of `models` in `decision` (category first, then global, then the initial rating). */
  async ratings(
    store: SharedStore,
    decision: string,
    models: readonly string[],
  ): Promise<Map<string, Rating>> {
    const [category, global] = await Promise.all([
      this.config.category_weighted ? store.readFields(ratingsKey(decision)) : Promise.resolve(undefined),
      store.readFields(ratingsKey(GLOBAL)),
    ]);
    const result = new Map<string, Rating>();
    for (const model of models) {
      const source = category && ratingField(model) in category ? category : global;
      result.set(model, {
        rating: this.config.initial_rating + (source[ratingField(model)] ?? 0),
        comparisons: source[countField(model)] ?? 0,
      });
    }
    return result;
  }

  async select<C extends ModelCandidate>(
    candidates: readonly C[],
    context: SelectionContext,
  ): Promise<Selection<C>> {
    const names = candidates.map((c) => c.model);
    const ratings = await this.ratings(context.store, context.decision, names);
    const strength = names.map((name) => 10 ** ((ratings.get(name)?.rating ?? 0) / 400));
    const total = strength.reduce((sum, value) => sum + value, 0);
    const bonus = this.costBonus(names, context);
    const scores: CandidateScore[] = [];
    let best = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    names.forEach((name, index) => {
      const rating = ratings.get(name) as Rating;
      const probability = (strength[index] as number) / total;
      const value = probability * (1 + (bonus.get(name) ?? 0));
      if (value > bestValue) {
        bestValue = value;
        best = index;
      }
      scores.push({
        model: name,
        score: rating.rating,
        parts: {
          probability,
          comparisons: rating.comparisons,
          confidence: 1 / (1 + Math.exp(-0.2 * (rating.comparisons - this.config.min_comparisons))),
          ...(bonus.size > 0 && { cost_bonus: bonus.get(name) ?? 0 }),
        },
      });
    });
    let chosen = best;
    let reason = `highest elo rating (${ratings.get(names[best] as string)?.rating.toFixed(1)})`;
    if (candidates.length > 1 && context.random() < this.config.exploration_rate) {
      const offset = 1 + Math.floor(context.random() * (candidates.length - 1));
      chosen = (best + offset) % candidates.length;
      reason = 'explored';
    }
    const memo: EloMemo = { candidates: names };
    return { candidate: candidates[chosen] as C, scores, reason, memo };
  }

  /** A score s for the chosen model counts as a game against each other candidate, won with s (1 win, 0.5 tie). */
  async feedback(feedback: SelectionFeedback): Promise<void> {
    const others = isEloMemo(feedback.memo)
      ? feedback.memo.candidates.filter((name) => name !== feedback.model)
      : [];
    await this.learn(feedback.store, feedback.decision, feedback.model, others, feedback.score, 1);
  }

  /** A failed answer is a loss at `implicit_feedback_weight`; a successful one says nothing about quality. */
  async observe(outcome: SelectionOutcome): Promise<void> {
    const weight = this.config.implicit_feedback_weight;
    const failed = outcome.failed || (outcome.status !== undefined && outcome.status >= 500);
    if (!failed || weight === 0) return;
    const others = isEloMemo(outcome.memo) ? outcome.memo.candidates.filter((n) => n !== outcome.model) : [];
    await this.learn(outcome.store, outcome.decision, outcome.model, others, 0, weight);
  }

  /** Pairwise feedback (`winner` preferred over `loser`, or a tie): the standard Elo update. */
  async compare({ store, decision, winner, loser, tie }: SelectionComparison): Promise<void> {
    await this.learn(store, decision, winner, [loser], tie ? 0.5 : 1, 1);
  }

  private async learn(
    store: SharedStore,
    decision: string,
    model: string,
    opponents: readonly string[],
    score: number,
    weight: number,
  ): Promise<void> {
    const scopes = this.config.category_weighted ? [decision, GLOBAL] : [GLOBAL];
    await Promise.all(
      scopes.map(async (scope) => {
        const fields = await store.readFields(ratingsKey(scope));
        const rating = (name: string) => this.config.initial_rating + (fields[ratingField(name)] ?? 0);
        const deltas: Record<string, number> = { [countField(model)]: 1 };
        if (opponents.length === 0) {
          // The peer's self-feedback: a lone model moves by a tenth of K towards its score.
          deltas[ratingField(model)] = this.config.k_factor * 0.1 * (2 * score - 1) * weight;
        } else {
          let own = 0;
          for (const opponent of opponents) {
            const expected = 1 / (1 + 10 ** ((rating(opponent) - rating(model)) / 400));
            const change = (this.config.k_factor * (score - expected) * weight) / opponents.length;
            own += change;
            deltas[ratingField(opponent)] = (deltas[ratingField(opponent)] ?? 0) - change;
            deltas[countField(opponent)] = 1;
          }
          deltas[ratingField(model)] = own;
        }
        await store.incrementFields(ratingsKey(scope), deltas);
      }),
    );
  }

  private costBonus(names: readonly string[], context: SelectionContext): Map<string, number> {
    const bonus = new Map<string, number>();
    if (this.config.cost_scaling_factor <= 0) return bonus;
    const prices = names.map((name) => context.models.get(name)?.pricing?.promptPer1m);
    const known = prices.filter((p): p is number => p !== undefined);
    if (known.length < 2) return bonus;
    const low = Math.min(...known);
    const high = Math.max(...known);
    if (high === low) return bonus;
    names.forEach((name, index) => {
      const price = prices[index];
      if (price !== undefined)
        bonus.set(name, (1 - (price - low) / (high - low)) * this.config.cost_scaling_factor);
    });
    return bonus;
  }
}

export const eloSelection: SelectionAlgorithm<EloConfig> = {
  name: 'elo',
  configSchema: eloSchema,
  create: (config) => new EloSelector(config),
};
