// How predicted per-profile success becomes a choice among a decision's candidates (pure; eval-routing reuses it).

/** A candidate as the rule sees it: its predicted success (when it maps to a trained profile) and its price. */
export interface RuleCandidate {
  /** Predicted probability of a good answer; undefined when the candidate maps to no trained profile. */
  readonly quality: number | undefined;
  /** Relative price (policy pricing, else the profile's mean cost); undefined when unknown. */
  readonly price: number | undefined;
  /** The policy's `quality` of the candidate's model, when it gives one: difficulty mode ranks by it first. */
  readonly strength?: number | undefined;
}

export interface RuleOptions {
  /** Quality the router may give up to save cost: the cheapest candidate within this of the best one wins. */
  readonly threshold: number;
  /** Difficulty mode: share of prompts (the hardest ones) that go to the strongest candidate. */
  readonly strongShare: number;
}

export interface RuleChoice {
  readonly index: number;
  readonly mode: 'quality' | 'difficulty';
  readonly reason: string;
}

/** Candidate indices from cheapest to dearest; the decision's order when any price is unknown (weakest first). */
export function priceOrder(candidates: readonly RuleCandidate[]): number[] {
  const order = candidates.map((_, i) => i);
  if (candidates.some((c) => c.price === undefined)) return order;
  return order.sort((a, b) => (candidates[a]?.price as number) - (candidates[b]?.price as number) || a - b);
}

/**
 * Candidate indices from weakest to strongest for difficulty mode: by the policy's `quality` when every candidate
 * has one (ties by price), else by price.
 */
export function strengthOrder(candidates: readonly RuleCandidate[]): number[] {
  const byPrice = priceOrder(candidates);
  if (candidates.some((c) => c.strength === undefined)) return byPrice;
  const rank = new Map(byPrice.map((index, position) => [index, position]));
  return [...byPrice].sort(
    (a, b) =>
      (candidates[a]?.strength as number) - (candidates[b]?.strength as number) ||
      (rank.get(a) as number) - (rank.get(b) as number),
  );
}

/**
 * Quality mode (every candidate maps to a profile): the cheapest candidate whose predicted success is within
 * `threshold` of the best. Difficulty mode (some do not): the prompt's difficulty quantile `quantile` ∈ [0, 1]
 * sends the hardest `strongShare` to the strongest candidate (policy `quality`, else the dearest) and spreads the
 * rest over the weaker ones.
 */
export function chooseCandidate(
  candidates: readonly RuleCandidate[],
  quantile: number,
  options: RuleOptions,
): RuleChoice {
  const order = priceOrder(candidates);
  if (candidates.every((c) => c.quality !== undefined)) {
    const best = Math.max(...candidates.map((c) => c.quality as number));
    for (const index of order) {
      if ((candidates[index]?.quality as number) >= best - options.threshold) {
        const reason =
          options.threshold > 0
            ? `cheapest within ${options.threshold} of the best predicted quality`
            : 'best predicted quality';
        return { index, mode: 'quality', reason };
      }
    }
  }
  const ladder = strengthOrder(candidates);
  const n = ladder.length;
  const strongest = ladder[n - 1] as number;
  const cut = 1 - options.strongShare;
  if (n === 1 || quantile >= cut) {
    return {
      index: strongest,
      mode: 'difficulty',
      reason: `hard prompt (difficulty quantile ${quantile.toFixed(2)})`,
    };
  }
  const tier = Math.min(n - 2, Math.floor((quantile / cut) * (n - 1)));
  return {
    index: ladder[tier] as number,
    mode: 'difficulty',
    reason: `easier prompt (difficulty quantile ${quantile.toFixed(2)})`,
  };
}

/** Position of `value` among sorted quantiles, linearly interpolated, in [0, 1]. */
export function quantileOf(value: number, quantiles: readonly number[]): number {
  const n = quantiles.length;
  if (n === 0) return 0.5;
  if (value <= (quantiles[0] as number)) return 0;
  if (value >= (quantiles[n - 1] as number)) return 1;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((quantiles[mid] as number) <= value) lo = mid;
    else hi = mid;
  }
  const a = quantiles[lo] as number;
  const b = quantiles[hi] as number;
  const within = b > a ? (value - a) / (b - a) : 0;
  return (lo + within) / (n - 1);
}
