// Loads a learned selection model file into its featurizer and predictor, once per file version.
import { statSync } from 'node:fs';
import path from 'node:path';
import { findPackageFile } from '../../package-files.ts';
import { KmeansPredictor } from './kmeans-predictor.ts';
import { KnnPredictor } from './knn-predictor.ts';
import { MlpPredictor } from './mlp-predictor.ts';
import {
  type LearnedAlgorithm,
  type LoadedSelectionModel,
  readSelectionModel,
  type SelectionModelHeader,
  type SelectionProfile,
} from './model-file.ts';
import type { SelectionFeaturizer } from './selection-features.ts';
import type { SuccessPredictor } from './success-predictor.ts';
import { SvmPredictor } from './svm-predictor.ts';

export interface LearnedSelectionModel {
  readonly file: string;
  readonly header: SelectionModelHeader;
  readonly profiles: readonly SelectionProfile[];
  readonly featurizer: SelectionFeaturizer;
  readonly predictor: SuccessPredictor;
  /** Per profile, the probability it answers the prompt well. */
  predict(text: string): Float64Array;
}

/** The data sets the built-in models were trained on; `model: <name>` in a policy picks one. */
export const BUILT_IN_SELECTION_DATASETS = ['mmlu-pro', 'routerbench'] as const;

function param(model: LoadedSelectionModel, name: string): number {
  const value = model.header.params[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`${model.file}: params.${name} must be a positive integer`);
  }
  return value;
}

function predictorFor(model: LoadedSelectionModel): SuccessPredictor {
  const P = model.header.profiles.length;
  const B = model.featurizer.config.buckets;
  switch (model.header.algorithm) {
    case 'knn': {
      const docs = param(model, 'docs');
      const postings = param(model, 'postings');
      return new KnnPredictor({
        k: param(model, 'k'),
        profiles: P,
        priors: Float64Array.from(model.header.profiles.map((p) => p.prior)),
        postingOffsets: model.tensor('postingOffsets', 'i32', B + 1),
        postingDocs: model.tensor('postingDocs', 'u16', postings),
        postingWeights: model.tensor('postingWeights', 'u8', postings),
        outcomes: model.tensor('outcomes', 'u8', docs * P),
      });
    }
    case 'kmeans': {
      const clusters = param(model, 'clusters');
      return new KmeansPredictor({
        clusters,
        profiles: P,
        centroids: model.tensor('centroids', 'f32', B * clusters),
        clusterSuccess: model.tensor('clusterSuccess', 'f32', clusters * P),
      });
    }
    case 'svm':
      return new SvmPredictor({
        profiles: P,
        weights: model.tensor('weights', 'f32', B * P),
        bias: model.tensor('bias', 'f32', P),
        plattA: model.tensor('plattA', 'f32', P),
        plattB: model.tensor('plattB', 'f32', P),
      });
    case 'mlp': {
      const hidden = param(model, 'hidden');
      return new MlpPredictor({
        hidden,
        profiles: P,
        w1: model.tensor('w1', 'f32', B * hidden),
        b1: model.tensor('b1', 'f32', hidden),
        w2: model.tensor('w2', 'f32', hidden * P),
        b2: model.tensor('b2', 'f32', P),
      });
    }
  }
}

const cache = new Map<string, { version: string; model: LearnedSelectionModel }>();

/** Reads a model file (cached while its size and mtime stay the same); throws SelectionModelError or Error. */
export function loadLearnedModel(file: string): LearnedSelectionModel {
  const absolute = path.resolve(file);
  const stat = statSync(absolute, { throwIfNoEntry: false });
  const version = stat ? `${stat.size}:${stat.mtimeMs}` : 'missing';
  const hit = cache.get(absolute);
  if (hit && hit.version === version) return hit.model;
  const loaded = readSelectionModel(absolute);
  const predictor = predictorFor(loaded);
  const model: LearnedSelectionModel = {
    file: absolute,
    header: loaded.header,
    profiles: loaded.header.profiles,
    featurizer: loaded.featurizer,
    predictor,
    predict: (text) => predictor.predict(loaded.featurizer.vector(text)),
  };
  cache.set(absolute, { version, model });
  return model;
}

/** The committed model of an algorithm trained on a built-in data set. */
export function builtInModelFile(algorithm: LearnedAlgorithm, dataset = 'mmlu-pro'): string {
  return path.join(findPackageFile('models/selection'), dataset, `${algorithm}.json`);
}
