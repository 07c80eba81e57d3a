// Featurised routing-outcome rows: the idf table is fitted on the train split only.
import {
  SelectionFeaturizer,
  type SelectionFeaturizerConfig,
  type SparseVector,
} from '../../selection/learned/selection-features.ts';
import type { OutcomeDataset, OutcomeRow } from './outcome-datasets.ts';

export interface Example {
  readonly x: SparseVector;
  readonly row: OutcomeRow;
}

export interface TrainingSet {
  readonly dataset: OutcomeDataset;
  readonly featurizer: SelectionFeaturizer;
  readonly train: readonly Example[];
  readonly validation: readonly Example[];
  /** Per profile, the train split's success rate. */
  readonly priors: Float64Array;
  /** Per profile, the train split's mean cost. */
  readonly meanCosts: Float64Array;
}

/** Smoothed idf, log((1 + N) / (1 + df)) + 1, over the training texts; 0 for buckets they never use. */
export function fitIdf(texts: readonly string[], config: SelectionFeaturizerConfig): Float32Array {
  const counter = new SelectionFeaturizer(config, new Float32Array(config.buckets));
  const df = new Float64Array(config.buckets);
  for (const text of texts) for (const id of counter.ids(text)) df[id] = (df[id] as number) + 1;
  const n = texts.length;
  return Float32Array.from(df, (d) => (d === 0 ? 0 : Math.log((1 + n) / (1 + d)) + 1));
}

function meanOver(rows: readonly OutcomeRow[], profiles: number, pick: (r: OutcomeRow) => Float32Array) {
  const sum = new Float64Array(profiles);
  const count = new Float64Array(profiles);
  for (const r of rows) {
    const values = pick(r);
    for (let m = 0; m < profiles; m++) {
      const v = values[m] as number;
      if (Number.isNaN(v)) continue;
      sum[m] = (sum[m] as number) + v;
      count[m] = (count[m] as number) + 1;
    }
  }
  return sum.map((s, m) => ((count[m] as number) > 0 ? s / (count[m] as number) : 0));
}

export function buildTrainingSet(dataset: OutcomeDataset, config: SelectionFeaturizerConfig): TrainingSet {
  const trainRows = dataset.rows.filter((r) => r.split === 'train');
  const featurizer = new SelectionFeaturizer(
    config,
    fitIdf(
      trainRows.map((r) => r.text),
      config,
    ),
  );
  const examples = (rows: readonly OutcomeRow[]) =>
    rows.map((row) => ({ x: featurizer.vector(row.text), row }));
  const P = dataset.profiles.length;
  return {
    dataset,
    featurizer,
    train: examples(trainRows),
    validation: examples(dataset.rows.filter((r) => r.split === 'validation')),
    priors: meanOver(trainRows, P, (r) => r.correct),
    meanCosts: meanOver(trainRows, P, (r) => r.cost),
  };
}

/** Mean squared error of predicted success over the known outcomes (lower is better). */
export function brierScore(examples: readonly Example[], predict: (x: SparseVector) => Float64Array): number {
  let sum = 0;
  let n = 0;
  for (const e of examples) {
    const p = predict(e.x);
    for (let m = 0; m < p.length; m++) {
      const y = e.row.correct[m] as number;
      if (Number.isNaN(y)) continue;
      sum += ((p[m] as number) - y) ** 2;
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

/** Fisher-Yates shuffle of indices with a seeded random source. */
export function shuffled(n: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order;
}
