// What every learned selector predicts: per trained profile, the probability that it answers this prompt well.
import type { SparseVector } from './selection-features.ts';

export interface SuccessPredictor {
  /** One probability per profile, in the model's profile order. */
  predict(vector: SparseVector): Float64Array;
}

/** Outcome code for "this profile has no answer for this prompt" in stored outcome tables. */
export const MISSING_OUTCOME = 255;

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
