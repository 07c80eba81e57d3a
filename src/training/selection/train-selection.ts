// `train --task selection`: fits the learned selectors on routing-outcome data and writes them with a card.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LearnedAlgorithm } from '../../selection/learned/model-file.ts';
import {
  DEFAULT_SELECTION_FEATURIZER,
  type SelectionFeaturizerConfig,
} from '../../selection/learned/selection-features.ts';
import { loadOutcomeDataset, type OutcomeDatasetName } from './outcome-datasets.ts';
import { DEFAULT_KMEANS_OPTIONS, trainKmeans } from './train-kmeans.ts';
import { DEFAULT_KNN_OPTIONS, trainKnn } from './train-knn.ts';
import { DEFAULT_MLP_OPTIONS, trainMlp } from './train-mlp.ts';
import { DEFAULT_SVM_OPTIONS, trainSvm } from './train-svm.ts';
import type { TrainedSelectionModel } from './trained-model.ts';
import { buildTrainingSet, type TrainingSet } from './training-set.ts';
import { writeSelectionModel } from './write-selection-model.ts';

export interface SelectionTrainingOptions {
  readonly dataset: OutcomeDatasetName;
  readonly dataDir: string;
  readonly outDir: string;
  readonly algorithms: readonly LearnedAlgorithm[];
  readonly seed: number;
  readonly featurizer?: SelectionFeaturizerConfig;
  readonly log?: (line: string) => void;
}

export interface SelectionModelCard {
  readonly algorithm: LearnedAlgorithm;
  readonly dataset: string;
  readonly rows: Readonly<Record<string, number>>;
  readonly splitMethod: string;
  readonly seed: number;
  readonly params: Readonly<Record<string, number>>;
  readonly validationBrier: number;
  readonly priorBrier: number;
  readonly sizeBytes: number;
  readonly trainingSeconds: number;
  /** Featurising plus predicting one validation prompt, after warm-up, single thread (machine-dependent). */
  readonly latencyMicros: { readonly p50: number; readonly p99: number };
}

/** p50 / p99 of featurise + predict over the validation prompts (three warm-up passes first). */
export function predictionLatency(
  set: TrainingSet,
  model: TrainedSelectionModel,
): { p50: number; p99: number } {
  const texts = set.validation.map((e) => e.row.text);
  const once = (text: string) => model.predictor.predict(set.featurizer.vector(text));
  for (let pass = 0; pass < 3; pass++) for (const t of texts) once(t);
  const times = texts
    .map((t) => {
      const started = process.hrtime.bigint();
      once(t);
      return Number(process.hrtime.bigint() - started) / 1e3;
    })
    .sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round((times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0) * 10) / 10;
  return { p50: at(0.5), p99: at(0.99) };
}

export function trainOne(set: TrainingSet, algorithm: LearnedAlgorithm, seed: number): TrainedSelectionModel {
  switch (algorithm) {
    case 'knn':
      return trainKnn(set, DEFAULT_KNN_OPTIONS);
    case 'kmeans':
      return trainKmeans(set, { ...DEFAULT_KMEANS_OPTIONS, seed });
    case 'svm':
      return trainSvm(set, { ...DEFAULT_SVM_OPTIONS, seed });
    case 'mlp':
      return trainMlp(set, { ...DEFAULT_MLP_OPTIONS, seed });
  }
}

function priorBrier(set: TrainingSet): number {
  let sum = 0;
  let n = 0;
  for (const e of set.validation) {
    e.row.correct.forEach((y, m) => {
      if (Number.isNaN(y)) return;
      sum += ((set.priors[m] as number) - y) ** 2;
      n++;
    });
  }
  return n === 0 ? 0 : sum / n;
}

export function trainSelectionModels(options: SelectionTrainingOptions): SelectionModelCard[] {
  const log = options.log ?? (() => {});
  const dataset = loadOutcomeDataset(options.dataset, options.dataDir);
  const set = buildTrainingSet(dataset, options.featurizer ?? DEFAULT_SELECTION_FEATURIZER);
  const rows = {
    train: set.train.length,
    validation: set.validation.length,
    test: dataset.rows.length - set.train.length - set.validation.length,
  };
  log(`${dataset.name}: ${dataset.profiles.length} models, rows ${JSON.stringify(rows)}`);
  const cards: SelectionModelCard[] = [];
  const baseline = priorBrier(set);
  for (const algorithm of options.algorithms) {
    const started = process.hrtime.bigint();
    const model = trainOne(set, algorithm, options.seed);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const { bytes } = writeSelectionModel(options.outDir, set, model);
    const card: SelectionModelCard = {
      algorithm,
      dataset: dataset.name,
      rows,
      splitMethod: dataset.splitMethod,
      seed: options.seed,
      params: model.params,
      validationBrier: Math.round(model.validationBrier * 1e5) / 1e5,
      priorBrier: Math.round(baseline * 1e5) / 1e5,
      sizeBytes: bytes,
      trainingSeconds: Math.round(seconds * 10) / 10,
      latencyMicros: predictionLatency(set, model),
    };
    log(
      `${algorithm}: ${JSON.stringify(card.params)} validation Brier ${card.validationBrier} (prior ${card.priorBrier}), ${(bytes / 1048576).toFixed(2)} MiB, ${card.trainingSeconds} s, featurise + predict p50 ${card.latencyMicros.p50} µs, p99 ${card.latencyMicros.p99} µs`,
    );
    cards.push(card);
  }
  return cards;
}

/** Writes card.json of a model folder: the cards already there, with those of `cards` replacing their algorithm's. */
export function updateCards(outDir: string, cards: readonly SelectionModelCard[]): void {
  const file = path.join(outDir, 'card.json');
  const existing: SelectionModelCard[] = existsSync(file)
    ? ((JSON.parse(readFileSync(file, 'utf8')) as { models?: SelectionModelCard[] }).models ?? [])
    : [];
  const byAlgorithm = new Map(existing.map((c) => [c.algorithm, c]));
  for (const c of cards) byAlgorithm.set(c.algorithm, c);
  const merged = [...byAlgorithm.values()].sort((a, b) => a.algorithm.localeCompare(b.algorithm));
  writeFileSync(file, `${JSON.stringify({ models: merged }, null, 2)}\n`);
}
