// kmeans trainer: spherical k-means (k-means++ seeding) over training prompts; each cluster keeps its success rates.

import { seededRandom } from '../../seeded-random.ts';
import { KmeansPredictor } from '../../selection/learned/kmeans-predictor.ts';
import type { SparseVector } from '../../selection/learned/selection-features.ts';
import type { TrainedSelectionModel } from './trained-model.ts';
import { brierScore, type TrainingSet } from './training-set.ts';

export interface KmeansOptions {
  readonly clusters: readonly number[];
  readonly iterations: number;
  readonly seed: number;
}

export const DEFAULT_KMEANS_OPTIONS: KmeansOptions = { clusters: [16, 32], iterations: 15, seed: 42 };

/** Pseudo-count pulling a small cluster's success rates towards the overall ones. */
const SMOOTHING = 4;

function dot(x: SparseVector, centroids: Float32Array, c: number, B: number): number {
  let s = 0;
  for (let i = 0; i < x.ids.length; i++)
    s += (x.values[i] as number) * (centroids[c * B + (x.ids[i] as number)] as number);
  return s;
}

function cluster(xs: readonly SparseVector[], K: number, B: number, options: KmeansOptions): Float32Array {
  const random = seededRandom(options.seed);
  const centroids = new Float32Array(K * B); // cluster-major while training
  const place = (c: number, x: SparseVector) => {
    for (let i = 0; i < x.ids.length; i++) centroids[c * B + (x.ids[i] as number)] = x.values[i] as number;
  };
  // k-means++: each next seed drawn in proportion to its distance (1 − cosine) to the nearest seed so far.
  place(0, xs[Math.floor(random() * xs.length)] as SparseVector);
  const nearest = new Float64Array(xs.length).fill(1);
  for (let c = 1; c < K; c++) {
    let total = 0;
    xs.forEach((x, i) => {
      nearest[i] = Math.min(nearest[i] as number, Math.max(0, 1 - dot(x, centroids, c - 1, B)));
      total += nearest[i] as number;
    });
    let point = random() * total;
    let pick = xs.length - 1;
    for (let i = 0; i < xs.length; i++) {
      point -= nearest[i] as number;
      if (point < 0) {
        pick = i;
        break;
      }
    }
    place(c, xs[pick] as SparseVector);
  }
  const assignment = new Int32Array(xs.length);
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    let changed = 0;
    xs.forEach((x, i) => {
      let best = 0;
      let bestSim = -Infinity;
      for (let c = 0; c < K; c++) {
        const s = dot(x, centroids, c, B);
        if (s > bestSim) {
          bestSim = s;
          best = c;
        }
      }
      if (assignment[i] !== best || iteration === 0) changed++;
      assignment[i] = best;
    });
    const previous = centroids.slice();
    centroids.fill(0);
    const sizes = new Int32Array(K);
    xs.forEach((x, i) => {
      const c = assignment[i] as number;
      sizes[c] = (sizes[c] as number) + 1;
      for (let j = 0; j < x.ids.length; j++) {
        const at = c * B + (x.ids[j] as number);
        centroids[at] = (centroids[at] as number) + (x.values[j] as number);
      }
    });
    for (let c = 0; c < K; c++) {
      if (sizes[c] === 0) {
        centroids.set(previous.subarray(c * B, (c + 1) * B), c * B);
        continue;
      }
      let norm = 0;
      for (let b = 0; b < B; b++) norm += (centroids[c * B + b] as number) ** 2;
      const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let b = 0; b < B; b++) centroids[c * B + b] = (centroids[c * B + b] as number) * scale;
    }
    if (changed === 0) break;
  }
  return centroids;
}

export function trainKmeans(
  set: TrainingSet,
  options: KmeansOptions = DEFAULT_KMEANS_OPTIONS,
): TrainedSelectionModel {
  const B = set.featurizer.config.buckets;
  const P = set.dataset.profiles.length;
  const xs = set.train.map((e) => e.x);
  let best: TrainedSelectionModel | undefined;
  for (const K of options.clusters) {
    const clusterMajor = cluster(xs, K, B, options);
    const centroids = new Float32Array(B * K); // bucket-major for serving
    for (let c = 0; c < K; c++)
      for (let b = 0; b < B; b++) centroids[b * K + c] = clusterMajor[c * B + b] as number;
    const sums = new Float64Array(K * P);
    const counts = new Float64Array(K * P);
    const assign = new KmeansPredictor({
      clusters: K,
      profiles: P,
      centroids,
      clusterSuccess: new Float32Array(K * P),
    });
    for (const e of set.train) {
      const c = assign.nearest(e.x);
      for (let m = 0; m < P; m++) {
        const y = e.row.correct[m] as number;
        if (Number.isNaN(y)) continue;
        sums[c * P + m] = (sums[c * P + m] as number) + y;
        counts[c * P + m] = (counts[c * P + m] as number) + 1;
      }
    }
    const clusterSuccess = Float32Array.from(
      sums,
      (s, i) => (s + SMOOTHING * (set.priors[i % P] as number)) / ((counts[i] as number) + SMOOTHING),
    );
    const predictor = new KmeansPredictor({ clusters: K, profiles: P, centroids, clusterSuccess });
    const validationBrier = brierScore(set.validation, (x) => predictor.predict(x));
    if (best === undefined || validationBrier < best.validationBrier) {
      best = {
        algorithm: 'kmeans',
        params: { clusters: K },
        tensors: { centroids, clusterSuccess },
        predictor,
        validationBrier,
      };
    }
  }
  return best as TrainedSelectionModel;
}
