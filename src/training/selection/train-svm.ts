// svm trainer: one linear SVM per profile (hinge loss, L2, SGD), margins calibrated with Platt scaling.

import { seededRandom } from '../../seeded-random.ts';
import { sigmoid } from '../../selection/learned/success-predictor.ts';
import { SvmPredictor, svmMargins } from '../../selection/learned/svm-predictor.ts';
import type { TrainedSelectionModel } from './trained-model.ts';
import { brierScore, shuffled, type TrainingSet } from './training-set.ts';

export interface SvmOptions {
  readonly lambdas: readonly number[];
  readonly epochs: number;
  readonly learningRate: number;
  readonly seed: number;
}

export const DEFAULT_SVM_OPTIONS: SvmOptions = {
  lambdas: [1e-5, 1e-4],
  epochs: 8,
  learningRate: 0.5,
  seed: 42,
};

/** Fits sigmoid(a · margin + b) to 0/1 outcomes by Newton's method on the log loss (Platt 1999). */
export function fitPlatt(margins: readonly number[], ys: readonly number[]): { a: number; b: number } {
  let a = 1;
  let b = 0;
  for (let iteration = 0; iteration < 50; iteration++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-6;
    let hab = 0;
    let hbb = 1e-6;
    for (let i = 0; i < margins.length; i++) {
      const f = margins[i] as number;
      const p = sigmoid(a * f + b);
      const d = p - (ys[i] as number);
      const w = p * (1 - p);
      ga += d * f;
      gb += d;
      haa += w * f * f;
      hab += w * f;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-12) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return { a, b };
}

function trainWeights(set: TrainingSet, lambda: number, options: SvmOptions) {
  const B = set.featurizer.config.buckets;
  const P = set.dataset.profiles.length;
  const weights = new Float32Array(B * P);
  const bias = new Float32Array(P);
  const random = seededRandom(options.seed);
  let t = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (const index of shuffled(set.train.length, random)) {
      const e = set.train[index];
      if (e === undefined) continue;
      const eta = options.learningRate / (1 + options.learningRate * lambda * t++);
      const margin = svmMargins({ profiles: P, weights, bias }, e.x);
      const shrink = 1 - eta * lambda;
      for (let i = 0; i < e.x.ids.length; i++) {
        const row = (e.x.ids[i] as number) * P;
        const v = e.x.values[i] as number;
        for (let m = 0; m < P; m++) {
          const y = e.row.correct[m] as number;
          let w = (weights[row + m] as number) * shrink;
          if (!Number.isNaN(y)) {
            const label = y >= 0.5 ? 1 : -1;
            if (label * (margin[m] as number) < 1) w += eta * label * v;
          }
          weights[row + m] = w;
        }
      }
      for (let m = 0; m < P; m++) {
        const y = e.row.correct[m] as number;
        if (Number.isNaN(y)) continue;
        const label = y >= 0.5 ? 1 : -1;
        if (label * (margin[m] as number) < 1) bias[m] = (bias[m] as number) + eta * 0.1 * label;
      }
    }
  }
  return { weights, bias };
}

export function trainSvm(set: TrainingSet, options: SvmOptions = DEFAULT_SVM_OPTIONS): TrainedSelectionModel {
  const P = set.dataset.profiles.length;
  let best: TrainedSelectionModel | undefined;
  for (const lambda of options.lambdas) {
    const { weights, bias } = trainWeights(set, lambda, options);
    const plattA = new Float32Array(P);
    const plattB = new Float32Array(P);
    const validationMargins = set.validation.map((e) => svmMargins({ profiles: P, weights, bias }, e.x));
    for (let m = 0; m < P; m++) {
      const fs: number[] = [];
      const ys: number[] = [];
      set.validation.forEach((e, i) => {
        const y = e.row.correct[m] as number;
        if (Number.isNaN(y)) return;
        fs.push(validationMargins[i]?.[m] as number);
        ys.push(y >= 0.5 ? 1 : 0);
      });
      const { a, b } = fitPlatt(fs, ys);
      plattA[m] = a;
      plattB[m] = b;
    }
    const predictor = new SvmPredictor({ profiles: P, weights, bias, plattA, plattB });
    const validationBrier = brierScore(set.validation, (x) => predictor.predict(x));
    if (best === undefined || validationBrier < best.validationBrier) {
      best = {
        algorithm: 'svm',
        params: { lambda_inverse: Math.round(1 / lambda), epochs: options.epochs },
        tensors: { weights, bias, plattA, plattB },
        predictor,
        validationBrier,
      };
    }
  }
  return best as TrainedSelectionModel;
}
