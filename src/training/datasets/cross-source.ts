// Cross-source evaluation sets: texts from sources a model was NOT trained on, with the figure that counts for each
// (the figures in model cards and the README). Each task module exports `crossSourceSets(dataDir)`.
import type { LabelledText } from './types.ts';

/**
 * - `accuracy`: top-1 label equals the row's label (a classifier that abstains below its threshold counts as wrong);
 * - `abstain`: the model gives no label above its threshold (e.g. off-topic chat for the domain model);
 * - `unlabelled`: the same share on rows that should get a label (in-domain questions left without one): lower
 *   is better;
 * - `recall`: the share of rows flagged positive (rows are positives, e.g. unsafe prompts);
 * - `fire_rate`: the share of rows flagged positive (rows are negatives, e.g. everyday prompts): lower is better.
 */
export type CrossSourceMetric = 'accuracy' | 'abstain' | 'unlabelled' | 'recall' | 'fire_rate';

export interface CrossSourceSet {
  /** Short name for tables, e.g. `mmlu-redux (not in MMLU-Pro)`. */
  readonly name: string;
  /** Data files (relative to the data directory) the rows come from. */
  readonly files: readonly string[];
  readonly metric: CrossSourceMetric;
  readonly rows: readonly LabelledText[];
  /** The target for this figure: a floor for accuracy/abstain/recall, a ceiling for unlabelled/fire_rate. */
  readonly target?: number;
}

/** True when `value` meets the set's target (always true without one). */
export function meetsTarget(set: Pick<CrossSourceSet, 'metric' | 'target'>, value: number): boolean {
  if (set.target === undefined) return true;
  return set.metric === 'fire_rate' || set.metric === 'unlabelled'
    ? value <= set.target
    : value >= set.target;
}
