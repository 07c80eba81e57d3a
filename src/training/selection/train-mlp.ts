// mlp trainer: sparse features → ReLU hidden layer → sigmoid per profile; masked log loss, AdaGrad, early stopping.

import { seededRandom } from '../../seeded-random.ts';
import { MlpPredictor, type MlpTables, mlpHidden, mlpLogits } from '../../selection/learned/mlp-predictor.ts';
import { sigmoid } from '../../selection/learned/success-predictor.ts';
import type { TrainedSelectionModel } from './trained-model.ts';
import { brierScore, shuffled, type TrainingSet } from './training-set.ts';

export interface MlpOptions {
  readonly hidden: number;
  readonly epochs: number;
  readonly learningRate: number;
  readonly patience: number;
  readonly seed: number;
}

export const DEFAULT_MLP_OPTIONS: MlpOptions = {
  hidden: 32,
  epochs: 20,
  learningRate: 0.05,
  patience: 3,
  seed: 42,
};

export function trainMlp(set: TrainingSet, options: MlpOptions = DEFAULT_MLP_OPTIONS): TrainedSelectionModel {
  const B = set.featurizer.config.buckets;
  const P = set.dataset.profiles.length;
  const H = options.hidden;
  const random = seededRandom(options.seed);
  const init = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
  const t: MlpTables = {
    hidden: H,
    profiles: P,
    w1: init(B * H, 0.5),
    b1: new Float32Array(H).fill(0.01),
    w2: init(H * P, Math.sqrt(6 / (H + P))),
    // Start every output at its profile's prior.
    b2: Float32Array.from(set.priors, (p) => Math.log(Math.max(1e-3, p) / Math.max(1e-3, 1 - p))),
  };
  const g1 = new Float32Array(B * H).fill(1e-8);
  const gb1 = new Float32Array(H).fill(1e-8);
  const g2 = new Float32Array(H * P).fill(1e-8);
  const gb2 = new Float32Array(P).fill(1e-8);
  const lr = options.learningRate;
  const step = (w: Float32Array, g: Float32Array, i: number, grad: number) => {
    g[i] = (g[i] as number) + grad * grad;
    w[i] = (w[i] as number) - (lr * grad) / Math.sqrt(g[i] as number);
  };
  const predictor = new MlpPredictor(t);
  let best = {
    brier: brierScore(set.validation, (x) => predictor.predict(x)),
    tables: structuredClone(t),
    epoch: 0,
  };
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    for (const index of shuffled(set.train.length, random)) {
      const e = set.train[index];
      if (e === undefined) continue;
      const h = mlpHidden(t, e.x);
      const logits = mlpLogits(t, h);
      const dOut = new Float64Array(P);
      for (let m = 0; m < P; m++) {
        const y = e.row.correct[m] as number;
        dOut[m] = Number.isNaN(y) ? 0 : sigmoid(logits[m] as number) - y;
      }
      const dHidden = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        if ((h[j] as number) <= 0) continue;
        let s = 0;
        for (let m = 0; m < P; m++) s += (dOut[m] as number) * (t.w2[j * P + m] as number);
        dHidden[j] = s;
      }
      for (let j = 0; j < H; j++) {
        const a = h[j] as number;
        if (a > 0)
          for (let m = 0; m < P; m++) step(t.w2 as Float32Array, g2, j * P + m, a * (dOut[m] as number));
      }
      for (let m = 0; m < P; m++) step(t.b2 as Float32Array, gb2, m, dOut[m] as number);
      for (let i = 0; i < e.x.ids.length; i++) {
        const row = (e.x.ids[i] as number) * H;
        const v = e.x.values[i] as number;
        for (let j = 0; j < H; j++)
          if (dHidden[j] !== 0) step(t.w1 as Float32Array, g1, row + j, v * (dHidden[j] as number));
      }
      for (let j = 0; j < H; j++)
        if (dHidden[j] !== 0) step(t.b1 as Float32Array, gb1, j, dHidden[j] as number);
    }
    const brier = brierScore(set.validation, (x) => predictor.predict(x));
    if (brier < best.brier) best = { brier, tables: structuredClone(t), epoch };
    else if (epoch - best.epoch >= options.patience) break;
  }
  const tables = best.tables;
  return {
    algorithm: 'mlp',
    params: { hidden: H, epochs: best.epoch },
    tensors: { w1: tables.w1, b1: tables.b1, w2: tables.w2, b2: tables.b2 },
    predictor: new MlpPredictor(tables),
    validationBrier: best.brier,
  };
}
