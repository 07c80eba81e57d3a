// svm: one linear SVM per profile over the prompt's features, its margin calibrated to a probability (Platt).
import type { SparseVector } from './selection-features.ts';
import { type SuccessPredictor, sigmoid } from './success-predictor.ts';

export interface SvmTables {
  readonly profiles: number;
  /** buckets × profiles, bucket-major. */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  /** P(right) = sigmoid(plattA · margin + plattB), fitted on the validation split. */
  readonly plattA: Float32Array;
  readonly plattB: Float32Array;
}

export function svmMargins(t: Omit<SvmTables, 'plattA' | 'plattB'>, vector: SparseVector): Float64Array {
  const { profiles, weights, bias } = t;
  const margin = Float64Array.from(bias);
  for (let i = 0; i < vector.ids.length; i++) {
    const row = (vector.ids[i] as number) * profiles;
    const v = vector.values[i] as number;
    for (let m = 0; m < profiles; m++) margin[m] = (margin[m] as number) + v * (weights[row + m] as number);
  }
  return margin;
}

export class SvmPredictor implements SuccessPredictor {
  constructor(private readonly t: SvmTables) {}

  predict(vector: SparseVector): Float64Array {
    const margin = svmMargins(this.t, vector);
    for (let m = 0; m < this.t.profiles; m++) {
      margin[m] = sigmoid(
        (this.t.plattA[m] as number) * (margin[m] as number) + (this.t.plattB[m] as number),
      );
    }
    return margin;
  }
}
