// knn trainer: an inverted index of the training prompts' vectors plus their outcomes; k chosen on validation.
import { KnnPredictor } from '../../selection/learned/knn-predictor.ts';
import { MISSING_OUTCOME } from '../../selection/learned/success-predictor.ts';
import type { TrainedSelectionModel } from './trained-model.ts';
import { brierScore, type TrainingSet } from './training-set.ts';

export interface KnnOptions {
  readonly ks: readonly number[];
  /** Buckets in more than this share of training prompts are left out of the index (stop words, boilerplate). */
  readonly maxDocumentShare: number;
}

export const DEFAULT_KNN_OPTIONS: KnnOptions = { ks: [10, 20, 40], maxDocumentShare: 0.02 };

export function trainKnn(set: TrainingSet, options: KnnOptions = DEFAULT_KNN_OPTIONS): TrainedSelectionModel {
  const docs = set.train.length;
  if (docs > 0xffff) throw new Error(`knn indexes at most 65535 prompts, got ${docs}`);
  const B = set.featurizer.config.buckets;
  const P = set.dataset.profiles.length;
  const df = new Int32Array(B);
  for (const e of set.train) for (const id of e.x.ids) df[id] = (df[id] as number) + 1;
  const limit = Math.max(1, Math.floor(options.maxDocumentShare * docs));
  const postingOffsets = new Int32Array(B + 1);
  for (let b = 0; b < B; b++)
    postingOffsets[b + 1] =
      (postingOffsets[b] as number) + ((df[b] as number) <= limit ? (df[b] as number) : 0);
  const postings = postingOffsets[B] as number;
  const postingDocs = new Uint16Array(postings);
  const postingWeights = new Uint8Array(postings);
  const fill = postingOffsets.slice(0, B);
  set.train.forEach((e, doc) => {
    for (let i = 0; i < e.x.ids.length; i++) {
      const id = e.x.ids[i] as number;
      if ((df[id] as number) > limit) continue;
      const at = fill[id] as number;
      fill[id] = at + 1;
      postingDocs[at] = doc;
      postingWeights[at] = Math.max(1, Math.round((e.x.values[i] as number) * 255));
    }
  });
  const outcomes = new Uint8Array(docs * P);
  set.train.forEach((e, doc) => {
    for (let m = 0; m < P; m++) {
      const y = e.row.correct[m] as number;
      outcomes[doc * P + m] = Number.isNaN(y) ? MISSING_OUTCOME : y >= 0.5 ? 1 : 0;
    }
  });
  let best: TrainedSelectionModel | undefined;
  for (const k of options.ks) {
    const predictor = new KnnPredictor({
      k,
      profiles: P,
      priors: set.priors,
      postingOffsets,
      postingDocs,
      postingWeights,
      outcomes,
    });
    const validationBrier = brierScore(set.validation, (x) => predictor.predict(x));
    if (best === undefined || validationBrier < best.validationBrier) {
      best = {
        algorithm: 'knn',
        params: { k, docs, postings },
        tensors: { postingOffsets, postingDocs, postingWeights, outcomes },
        predictor,
        validationBrier,
      };
    }
  }
  return best as TrainedSelectionModel;
}
