// Trains, calibrates, evaluates and exports one built-in WideMLP classifier with its card (`semantic-router train`).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type FeaturizerConfig, featurize } from '../../ml/wide-mlp/features.ts';
import { type LabelledText, loadTaskDataset, type TaskDataset } from '../datasets/index.ts';
import { asDetectionRows, unsafeProbability } from '../datasets/jailbreak.ts';
import { crossSourceFigure, crossSourceSetsFor, decisionFor } from '../eval/cross-source-figures.ts';
import { classificationMetrics, formatPercent } from '../metrics.ts';
import { fitTemperature } from '../trainer/calibration.ts';
import { exportWideMlpOnnx } from '../trainer/export-onnx.ts';
import {
  argmax,
  forwardLogits,
  softmax,
  type TrainingExample,
  trainWideMlp,
  type WideMlpModel,
} from '../trainer/wide-mlp.ts';
import type { HyperParameters } from './hyper-parameters.ts';
import { measureLatency } from './latency.ts';
import { type ModelCard, renderReadme } from './model-card.ts';
import { thresholdMetrics } from './thresholds.ts';

/** What one classifier training run needs (the parsed `semantic-router train` flags). */
export interface ClassifierTrainingOptions {
  readonly task: TaskDataset['task'];
  readonly dataDir: string;
  readonly outDir: string;
  readonly seed: number;
  readonly hyper: HyperParameters;
  readonly targetRecall: number;
  /** Default decision threshold written to the card for multi-class tasks (the signal's default). */
  readonly threshold?: number;
  readonly maxRows: number | undefined;
  readonly latencySamples: number;
}

const pct = formatPercent;

function toExamples(rows: readonly LabelledText[], featurizer: FeaturizerConfig): TrainingExample[] {
  return rows.map((row) => ({ features: featurize(row.text, featurizer), label: row.label }));
}

function logitsOf(model: WideMlpModel, examples: readonly TrainingExample[]): Float64Array[] {
  return examples.map((ex) => forwardLogits(model, ex.features));
}

/** Trains one model, writes OUT/model.onnx, card.json and README.md; progress lines go to `log`. */
export async function trainClassifier(
  a: ClassifierTrainingOptions,
  log: (line: string) => void,
): Promise<ModelCard> {
  const started = performance.now();
  const dataset = loadTaskDataset(a.task, a.dataDir, a.maxRows);
  const { hyper } = a;
  const featurizer: FeaturizerConfig = {
    buckets: hyper.buckets,
    wordNgrams: hyper.wordNgrams,
    charNgramMin: hyper.charNgramMin,
    charNgramMax: hyper.charNgramMax,
    maxFeatures: hyper.maxFeatures,
    maxChars: hyper.maxChars,
  };
  log(
    `train ${a.task}: ${dataset.train.length} train / ${dataset.validation.length} validation / ` +
      `${dataset.test.length} test rows`,
  );
  const trainExamples = toExamples(dataset.train, featurizer);
  const validationExamples = toExamples(dataset.validation, featurizer);
  const testExamples = toExamples(dataset.test, featurizer);
  const trainStart = performance.now();
  const result = trainWideMlp(
    trainExamples,
    { buckets: hyper.buckets, classes: dataset.labels.length },
    {
      embeddingDim: hyper.embeddingDim,
      hiddenDim: hyper.hiddenDim,
      epochs: hyper.epochs,
      learningRate: hyper.learningRate,
      batchSize: hyper.batchSize,
      seed: a.seed,
      weightDecay: hyper.weightDecay,
      validation: validationExamples,
      patience: hyper.patience,
    },
  );
  const trainSeconds = (performance.now() - trainStart) / 1000;
  for (const h of result.history) {
    log(
      `  epoch ${h.epoch}: train loss ${h.trainLoss.toFixed(4)}, validation loss ` +
        `${h.validationLoss?.toFixed(4)}, accuracy ${pct(h.validationAccuracy ?? 0)}`,
    );
  }
  const { model } = result;
  const validationLogits = logitsOf(model, validationExamples);
  const calibration = fitTemperature(
    validationLogits,
    validationExamples.map((ex) => ex.label),
  );
  const T = calibration.temperature;
  const validationProbs = validationLogits.map((l) => softmax(l, T));
  const testProbs = logitsOf(model, testExamples).map((l) => softmax(l, T));
  const metrics = {
    validation: classificationMetrics(
      dataset.labels,
      validationExamples.map((ex) => ex.label),
      validationProbs.map((p) => argmax(p)),
    ),
    test: classificationMetrics(
      dataset.labels,
      testExamples.map((ex) => ex.label),
      testProbs.map((p) => argmax(p)),
    ),
  };
  const detection =
    a.task === 'jailbreak'
      ? thresholdMetrics(
          validationProbs.map(unsafeProbability),
          asDetectionRows(dataset.validation),
          testProbs.map(unsafeProbability),
          asDetectionRows(dataset.test),
          a.targetRecall,
        )
      : null;

  const threshold = detection === null ? (a.threshold ?? null) : detection.threshold;
  const decide = decisionFor(a.task, dataset.labels, threshold);
  const crossSource =
    a.maxRows === undefined
      ? crossSourceSetsFor(a.task, a.dataDir).map((set) =>
          crossSourceFigure(
            set,
            set.rows.map((row) => decide(softmax(forwardLogits(model, featurize(row.text, featurizer)), T))),
          ),
        )
      : [];

  const bytes = exportWideMlpOnnx(model, {
    labels: dataset.labels,
    featurizer,
    temperature: T,
    seed: a.seed,
  });
  mkdirSync(a.outDir, { recursive: true });
  const modelFile = path.resolve(a.outDir, 'model.onnx');
  writeFileSync(modelFile, bytes);
  const n = Math.min(a.latencySamples, dataset.test.length);
  const latency = await measureLatency(
    modelFile,
    dataset.test.slice(0, n).map((r) => r.text),
    testProbs.slice(0, n),
  );
  const card: ModelCard = {
    name: path.basename(path.resolve(a.outDir)),
    task: a.task,
    labels: dataset.labels,
    modelFile: 'model.onnx',
    modelSha256: createHash('sha256').update(bytes).digest('hex'),
    sizeBytes: bytes.byteLength,
    dataSources: dataset.sources,
    rows: { train: dataset.train.length, validation: dataset.validation.length, test: dataset.test.length },
    dropped: dataset.dropped,
    splitMethod: dataset.splitMethod,
    maxRows: a.maxRows ?? null,
    seed: a.seed,
    hyperParameters: hyper,
    featurizer,
    training: {
      bestEpoch: result.bestEpoch,
      epochsRun: result.history.length,
      history: result.history,
      timeSeconds: Math.round(trainSeconds * 10) / 10,
    },
    calibration,
    metrics,
    threshold,
    detection,
    crossSource,
    latency,
    nodeVersion: process.version,
    createdBy: `semantic-router train (total ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  };
  writeFileSync(path.join(a.outDir, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
  writeFileSync(path.join(a.outDir, 'README.md'), renderReadme(card));
  return card;
}
