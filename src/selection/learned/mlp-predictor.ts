// mlp: sparse features → one ReLU hidden layer → one sigmoid output per profile (multi-label).
import type { SparseVector } from './selection-features.ts';
import { type SuccessPredictor, sigmoid } from './success-predictor.ts';

export interface MlpTables {
  readonly hidden: number;
  readonly profiles: number;
  /** buckets × hidden, bucket-major. */
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  /** hidden × profiles. */
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

/** Hidden activations (after ReLU) of a prompt. */
export function mlpHidden(t: MlpTables, vector: SparseVector): Float64Array {
  const { hidden, w1, b1 } = t;
  const h = Float64Array.from(b1);
  for (let i = 0; i < vector.ids.length; i++) {
    const row = (vector.ids[i] as number) * hidden;
    const v = vector.values[i] as number;
    for (let j = 0; j < hidden; j++) h[j] = (h[j] as number) + v * (w1[row + j] as number);
  }
  for (let j = 0; j < hidden; j++) if ((h[j] as number) < 0) h[j] = 0;
  return h;
}

/** Output logits from hidden activations. */
export function mlpLogits(t: MlpTables, h: Float64Array): Float64Array {
  const { hidden, profiles, w2, b2 } = t;
  const out = Float64Array.from(b2);
  for (let j = 0; j < hidden; j++) {
    const a = h[j] as number;
    if (a === 0) continue;
    const row = j * profiles;
    for (let m = 0; m < profiles; m++) out[m] = (out[m] as number) + a * (w2[row + m] as number);
  }
  return out;
}

export class MlpPredictor implements SuccessPredictor {
  constructor(private readonly t: MlpTables) {}

  predict(vector: SparseVector): Float64Array {
    const logits = mlpLogits(this.t, mlpHidden(this.t, vector));
    for (let m = 0; m < logits.length; m++) logits[m] = sigmoid(logits[m] as number);
    return logits;
  }
}
