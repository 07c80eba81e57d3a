// `semantic-router train`: trains, calibrates, evaluates and exports a built-in WideMLP classifier with its card.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  DatasetError,
  type LabelledText,
  loadTaskDataset,
  TASK_NAMES,
  type TaskDataset,
} from '../ml/datasets/index.ts';
import {
  asDetectionRows,
  JAILBREAK_REFERENCE_NEGATIVES,
  unsafeProbability,
} from '../ml/datasets/jailbreak.ts';
import { falsePositiveCap, JAILBREAK_MAX_REFERENCE_FPR } from '../ml/datasets/jailbreak-threshold.ts';
import { trainEmbeddingModel } from '../ml/embedding/train-embedding.ts';
import {
  type ClassificationMetrics,
  classificationMetrics,
  detectionRates,
  formatPercent,
  type LatencySummary,
  summarizeLatency,
} from '../ml/metrics.ts';
import { OnnxSessionPool } from '../ml/onnx-session-pool.ts';
import { DEFAULT_TAGGER_FEATURIZER } from '../ml/tagger/token-features.ts';
import { DEFAULT_TAGGER_HYPER } from '../ml/tagger/train-tagger.ts';
import { trainAndWritePiiTagger } from '../ml/tagger/write-tagger.ts';
import { fitTemperature } from '../ml/trainer/calibration.ts';
import { WideMlpClassifier } from '../ml/trainer/classifier-runtime.ts';
import { exportWideMlpOnnx } from '../ml/trainer/export-onnx.ts';
import { type FeaturizerConfig, featurize } from '../ml/trainer/features.ts';
import { trainCommandLine, type WideMlpTrainingSettings, wideMlpFlags } from '../ml/trainer/reproduce.ts';
import {
  argmax,
  forwardLogits,
  softmax,
  TrainingError,
  type TrainingExample,
  trainWideMlp,
  type WideMlpModel,
} from '../ml/trainer/wide-mlp.ts';

export type { ClassificationMetrics, ClassMetrics } from '../ml/metrics.ts';
export { classificationMetrics } from '../ml/metrics.ts';

export interface TrainIO {
  out(text: string): void;
  err(text: string): void;
}

export const TRAIN_USAGE = `usage:
  semantic-router train --task domain|jailbreak|guard --out DIR [--data ../shared/data] [--seed 42]
      [--buckets 32768] [--dim 32] [--hidden 64] [--epochs 20] [--lr 0.002] [--batch 32]
      [--weight-decay 0.01] [--patience 3] [--word-ngrams 2] [--char-min 3] [--char-max 5]
      [--max-features 1024] [--max-chars 2048] [--target-recall 0.97] [--max-rows N] [--latency-samples 300]
  (defaults shown; guard defaults to --dim 16 --max-features 512 --max-chars 1024)
  semantic-router train --task embedding --out DIR [--data ../shared/data] [--seed 20260] [--max-rows N]
  semantic-router train --task pii --out DIR [--data ../shared/data] [--seed 42] [--buckets 32768] [--dim 24]
      [--hidden 64] [--epochs 30] [--lr 0.001] [--batch 64] [--weight-decay 0.01] [--patience 3]
      [--max-features 64] [--max-chars 4096] [--max-tokens 1024] [--context-window 4] [--delexicalize]
      [--max-rows N]
  (pii: a PERSON / STREET_ADDRESS token tagger from presidio-synth, split by template)
`;

/** Every training setting; recorded in the model card. */
export interface HyperParameters extends WideMlpTrainingSettings {
  readonly buckets: number;
  readonly wordNgrams: number;
  readonly charNgramMin: number;
  readonly charNgramMax: number;
  readonly maxFeatures: number;
  readonly maxChars: number;
}

/** Defaults shared by every task; `TASK_DEFAULTS` overrides some per task. */
export const DEFAULT_HYPER_PARAMETERS: HyperParameters = {
  buckets: 1 << 15,
  embeddingDim: 32,
  hiddenDim: 64,
  epochs: 20,
  learningRate: 0.002,
  batchSize: 32,
  weightDecay: 0.01,
  patience: 3,
  wordNgrams: 2,
  charNgramMin: 3,
  charNgramMax: 5,
  maxFeatures: 1024,
  maxChars: 2048,
};

/**
 * Per-task defaults: the settings the built-in models in models/ were trained with (chosen by validation
 * accuracy / validation recall and false-positive rate, never by test metrics).
 */
export const TASK_DEFAULTS: Record<
  TaskDataset['task'],
  { readonly hyper: Partial<HyperParameters>; readonly targetRecall: number }
> = {
  domain: { hyper: {}, targetRecall: 0.97 },
  jailbreak: { hyper: {}, targetRecall: 0.97 },
  guard: { hyper: { embeddingDim: 16, maxFeatures: 512, maxChars: 1024 }, targetRecall: 0.97 },
};

class UsageError extends Error {}

function numberArg(
  value: string | undefined,
  name: string,
  fallback: number,
  check: { integer: boolean; min: number },
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || (check.integer && !Number.isInteger(parsed)) || parsed < check.min) {
    throw new UsageError(`--${name} must be ${check.integer ? 'an integer' : 'a number'} ≥ ${check.min}`);
  }
  return parsed;
}

interface TrainArgs {
  readonly task: TaskDataset['task'];
  readonly dataDir: string;
  readonly outDir: string;
  readonly seed: number;
  readonly hyper: HyperParameters;
  readonly targetRecall: number;
  readonly maxRows: number | undefined;
  readonly latencySamples: number;
}

/** Flags every training task takes. */
const COMMON_TRAIN_OPTIONS = {
  task: { type: 'string' },
  data: { type: 'string' },
  out: { type: 'string' },
  seed: { type: 'string' },
  'max-rows': { type: 'string' },
} as const;

/** Flags of the WideMLP trainer (the classifier tasks and the PII tagger). */
const WIDE_MLP_OPTIONS = {
  buckets: { type: 'string' },
  dim: { type: 'string' },
  hidden: { type: 'string' },
  epochs: { type: 'string' },
  lr: { type: 'string' },
  batch: { type: 'string' },
  'weight-decay': { type: 'string' },
  patience: { type: 'string' },
  'max-features': { type: 'string' },
  'max-chars': { type: 'string' },
} as const;

function parseTrainArgs(args: string[]): TrainArgs {
  const { values } = parseArgs({
    args,
    options: {
      ...COMMON_TRAIN_OPTIONS,
      ...WIDE_MLP_OPTIONS,
      'word-ngrams': { type: 'string' },
      'char-min': { type: 'string' },
      'char-max': { type: 'string' },
      'target-recall': { type: 'string' },
      'latency-samples': { type: 'string' },
    },
  });
  const task = TASK_NAMES.find((t) => t === values.task);
  if (task === undefined)
    throw new UsageError(`--task must be one of ${[...TASK_NAMES, 'embedding', 'pii'].join(', ')}`);
  if (!values.out) throw new UsageError('train needs --out DIR');
  const d: HyperParameters = { ...DEFAULT_HYPER_PARAMETERS, ...TASK_DEFAULTS[task].hyper };
  const int = { integer: true, min: 1 };
  const hyper: HyperParameters = {
    buckets: numberArg(values.buckets, 'buckets', d.buckets, int),
    embeddingDim: numberArg(values.dim, 'dim', d.embeddingDim, int),
    hiddenDim: numberArg(values.hidden, 'hidden', d.hiddenDim, int),
    epochs: numberArg(values.epochs, 'epochs', d.epochs, int),
    learningRate: numberArg(values.lr, 'lr', d.learningRate, { integer: false, min: Number.MIN_VALUE }),
    batchSize: numberArg(values.batch, 'batch', d.batchSize, int),
    weightDecay: numberArg(values['weight-decay'], 'weight-decay', d.weightDecay, { integer: false, min: 0 }),
    patience: numberArg(values.patience, 'patience', d.patience, int),
    wordNgrams: numberArg(values['word-ngrams'], 'word-ngrams', d.wordNgrams, { integer: true, min: 0 }),
    charNgramMin: numberArg(values['char-min'], 'char-min', d.charNgramMin, { integer: true, min: 0 }),
    charNgramMax: numberArg(values['char-max'], 'char-max', d.charNgramMax, { integer: true, min: 0 }),
    maxFeatures: numberArg(values['max-features'], 'max-features', d.maxFeatures, int),
    maxChars: numberArg(values['max-chars'], 'max-chars', d.maxChars, int),
  };
  const targetRecall = numberArg(values['target-recall'], 'target-recall', TASK_DEFAULTS[task].targetRecall, {
    integer: false,
    min: 0,
  });
  if (targetRecall > 1) throw new UsageError('--target-recall must be in [0, 1]');
  return {
    task,
    dataDir: values.data ?? '../shared/data',
    outDir: values.out,
    seed: numberArg(values.seed, 'seed', 42, { integer: true, min: 0 }),
    hyper,
    targetRecall,
    maxRows: values['max-rows'] === undefined ? undefined : numberArg(values['max-rows'], 'max-rows', 0, int),
    latencySamples: numberArg(values['latency-samples'], 'latency-samples', 300, int),
  };
}

/** Threshold on P(jailbreak) chosen on validation, and its held-out detection rates. */
export interface ThresholdMetrics {
  readonly threshold: number;
  readonly targetRecall: number;
  /** Benign sources of the target false-positive rate: xstest-safe and the benign samples (not deepset). */
  readonly referenceNegativeSources: readonly string[];
  readonly validation: {
    readonly recall: number;
    readonly falsePositiveRate: number;
    readonly referenceFalsePositiveRate: number;
  };
  readonly test: {
    readonly recall: number;
    /** Over every benign test text, deepset's benign prompts included. */
    readonly falsePositiveRate: number;
    /** Over the benign test texts of `referenceNegativeSources`. */
    readonly referenceFalsePositiveRate: number;
    readonly referenceNegatives: number;
    readonly positives: number;
    readonly negatives: number;
    /** Recall on the attacks of each source. */
    readonly recallBySource: Record<string, { readonly recall: number; readonly examples: number }>;
    /** False-positive rate on the benign texts of each source. */
    readonly falsePositiveRateBySource: Record<string, { readonly rate: number; readonly examples: number }>;
  };
}

const rates = detectionRates;

/** The highest threshold whose validation recall reaches `targetRecall` (lowest FPR at that recall). */
export function chooseThreshold(
  scores: readonly number[],
  rows: readonly LabelledText[],
  targetRecall: number,
): number {
  const positives = rows
    .map((row, i) => (row.label === 1 ? (scores[i] ?? 0) : Number.NaN))
    .filter((s) => !Number.isNaN(s))
    .sort((a, b) => b - a);
  if (positives.length === 0) return 0.5;
  const needed = Math.max(1, Math.ceil(targetRecall * positives.length));
  return positives[needed - 1] ?? 0.5;
}

function referenceRates(
  scores: readonly number[],
  rows: readonly LabelledText[],
  threshold: number,
  sources: readonly string[],
) {
  const keep = rows.map((r, i) => ({ r, s: scores[i] ?? 0 })).filter((x) => sources.includes(x.r.source));
  return rates(
    keep.map((x) => x.s),
    keep.map((x) => x.r),
    threshold,
  );
}

function thresholdMetrics(
  validationScores: readonly number[],
  validation: readonly LabelledText[],
  testScores: readonly number[],
  test: readonly LabelledText[],
  targetRecall: number,
): ThresholdMetrics {
  const threshold = Math.max(
    chooseThreshold(validationScores, validation, targetRecall),
    falsePositiveCap(validationScores, validation),
  );
  const v = rates(validationScores, validation, threshold);
  const t = rates(testScores, test, threshold);
  const reference = JAILBREAK_REFERENCE_NEGATIVES;
  const vRef = referenceRates(validationScores, validation, threshold, reference);
  const tRef = referenceRates(testScores, test, threshold, reference);
  const recallBySource: Record<string, { recall: number; examples: number }> = {};
  const fprBySource: Record<string, { rate: number; examples: number }> = {};
  const sources = [...new Set(test.map((r) => r.source))].sort();
  for (const source of sources) {
    const idx = test.map((r, i) => (r.source === source ? i : -1)).filter((i) => i >= 0);
    const rows = idx.map((i) => test[i]).filter((r): r is LabelledText => r !== undefined);
    const r = rates(
      idx.map((i) => testScores[i] ?? 0),
      rows,
      threshold,
    );
    if (r.positives > 0) recallBySource[source] = { recall: r.recall, examples: r.positives };
    if (r.negatives > 0) fprBySource[source] = { rate: r.falsePositiveRate, examples: r.negatives };
  }
  return {
    threshold,
    targetRecall,
    referenceNegativeSources: reference,
    validation: {
      recall: v.recall,
      falsePositiveRate: v.falsePositiveRate,
      referenceFalsePositiveRate: vRef.falsePositiveRate,
    },
    test: {
      recall: t.recall,
      falsePositiveRate: t.falsePositiveRate,
      referenceFalsePositiveRate: tRef.falsePositiveRate,
      referenceNegatives: tRef.negatives,
      positives: t.positives,
      negatives: t.negatives,
      recallBySource,
      falsePositiveRateBySource: fprBySource,
    },
  };
}

export interface LatencyMetrics extends LatencySummary {
  /** Largest |ONNX − trainer| calibrated probability over the measured texts (export parity check). */
  readonly maxProbabilityDiff: number;
  readonly method: string;
}

/** Batch-1 latency (featurize + ONNX Runtime inference) through OnnxSessionPool + WideMlpClassifier. */
async function measureLatency(
  file: string,
  texts: readonly string[],
  expected: readonly Float64Array[],
): Promise<LatencyMetrics> {
  const pool = new OnnxSessionPool();
  try {
    const classifier = await WideMlpClassifier.load(pool, file);
    for (let i = 0; i < Math.min(20, texts.length); i++) await classifier.classify([texts[i] ?? '']);
    const times: number[] = [];
    let maxDiff = 0;
    for (let i = 0; i < texts.length; i++) {
      const start = performance.now();
      const [result] = await classifier.classify([texts[i] ?? '']);
      times.push(performance.now() - start);
      const want = expected[i];
      if (result !== undefined && want !== undefined) {
        for (let k = 0; k < want.length; k++) {
          maxDiff = Math.max(maxDiff, Math.abs((result.probabilities[k] ?? 0) - (want[k] ?? 0)));
        }
      }
    }
    await classifier.release();
    return {
      ...summarizeLatency(times),
      maxProbabilityDiff: maxDiff,
      method:
        'sequential batch-1 classify() (featurize + ONNX Runtime, 1 intra-op thread) over test texts, ' +
        'after 20 warm-up calls',
    };
  } finally {
    await pool.close();
  }
}

/** The model card written to OUT/card.json. */
export interface ModelCard {
  readonly name: string;
  readonly task: string;
  readonly labels: readonly string[];
  readonly modelFile: string;
  readonly modelSha256: string;
  readonly sizeBytes: number;
  readonly dataSources: TaskDataset['sources'];
  readonly rows: { readonly train: number; readonly validation: number; readonly test: number };
  readonly dropped: TaskDataset['dropped'];
  readonly splitMethod: string;
  readonly maxRows: number | null;
  readonly seed: number;
  readonly hyperParameters: HyperParameters;
  readonly featurizer: FeaturizerConfig;
  readonly training: {
    readonly bestEpoch: number;
    readonly epochsRun: number;
    readonly history: readonly {
      epoch: number;
      trainLoss: number;
      validationLoss?: number;
      validationAccuracy?: number;
    }[];
    readonly timeSeconds: number;
  };
  readonly calibration: {
    readonly temperature: number;
    readonly nllBefore: number;
    readonly nllAfter: number;
  };
  readonly metrics: { readonly validation: ClassificationMetrics; readonly test: ClassificationMetrics };
  /**
   * Recommended threshold on P(positive label) (jailbreak only, else null); read by the router's
   * model store as the signal's default threshold.
   */
  readonly threshold: number | null;
  /** How `threshold` was chosen and its validation / held-out detection rates (jailbreak only). */
  readonly detection: ThresholdMetrics | null;
  readonly latency: LatencyMetrics;
  readonly nodeVersion: string;
  readonly createdBy: string;
}

const pct = formatPercent;

const TASK_PROSE: Record<TaskDataset['task'], string> = {
  domain:
    'Classifies a prompt into one of the 14 MMLU-Pro routing domains. Trained on exam questions (MMLU-Pro and ' +
    'MMLU-Redux); expect lower accuracy on conversational prompts than on the held-out questions below.',
  jailbreak:
    'Flags jailbreak and prompt-injection attempts and plainly unsafe requests. P(unsafe) = 1 − P(benign) ≥ the ' +
    'threshold below means flagged, and the most likely other label is the category; the threshold was chosen ' +
    'on the validation split for the target recall. Held-out attacks come ' +
    'from JailbreakBench behaviors and GPTFuzzer templates that are absent from training (split by behavior ' +
    'and by template id), but JailbreakChat-style prompts reuse templates across behaviors, so some held-out ' +
    'jbb prompts share a template with training prompts.',
  guard:
    'Guarded routing in the style of GQR-Bench: finance (banking77), healthcare (GenMedGPT-5k) or ' +
    'out-of-domain (OLID tweets, WebQuestions). The paper reports WideMLP 88 % accuracy.',
};

/** The command line that rebuilds a card's model, every hyper-parameter explicit. */
export function reproduceCommand(card: ModelCard): string {
  const h = card.hyperParameters;
  const flags: [string, number][] = [
    ...wideMlpFlags(card.seed, h.buckets, h),
    ['word-ngrams', h.wordNgrams],
    ['char-min', h.charNgramMin],
    ['char-max', h.charNgramMax],
    ['max-features', h.maxFeatures],
    ['max-chars', h.maxChars],
  ];
  if (card.detection !== null) flags.push(['target-recall', card.detection.targetRecall]);
  if (card.maxRows !== null) flags.push(['max-rows', card.maxRows]);
  return trainCommandLine(card.task, card.name, flags);
}

/** The model card in prose with metrics tables (OUT/README.md). */
export function renderReadme(card: ModelCard): string {
  const test = card.metrics.test;
  const lines: string[] = [
    `# Built-in model: ${card.name} (task \`${card.task}\`)`,
    '',
    TASK_PROSE[card.task as TaskDataset['task']] ?? '',
    '',
    'Architecture: hashed word n-gram + character n-gram features → mean embedding bag → ReLU hidden layer → ' +
      'softmax (WideMLP / fastText style), trained by this project (`semantic-router train`), temperature-' +
      'calibrated on the validation split, exported to ONNX with its labels, featurizer and temperature as ' +
      'metadata.',
    '',
    `- Labels: ${card.labels.map((l) => `\`${l}\``).join(', ')}`,
    `- File: \`${card.modelFile}\` (${(card.sizeBytes / 1024 / 1024).toFixed(2)} MiB, sha256 \`${card.modelSha256.slice(0, 16)}…\`)`,
    `- Seed ${card.seed}; best epoch ${card.training.bestEpoch} of ${card.training.epochsRun}; ` +
      `training ${card.training.timeSeconds.toFixed(1)} s on Node ${card.nodeVersion}`,
    `- Temperature ${card.calibration.temperature.toFixed(3)} (validation NLL ${card.calibration.nllBefore.toFixed(3)} → ${card.calibration.nllAfter.toFixed(3)})`,
    `- Split: ${card.splitMethod}`,
    `- Reproduce: \`${reproduceCommand(card)}\` (same seed and data give identical model.onnx bytes)`,
    '',
    '## Data (rows per split, after deduplication by normalised text)',
    '',
    '| source | files | train | validation | test |',
    '|---|---|---:|---:|---:|',
    ...card.dataSources.map(
      (s) =>
        `| ${s.source} | ${s.files.map((f) => `\`${f}\``).join(', ')} | ${s.train} | ${s.validation} | ${s.test} |`,
    ),
    `| **total** | | ${card.rows.train} | ${card.rows.validation} | ${card.rows.test} |`,
    '',
    `Data is read from \`../shared/data\` at training time and never copied into the repository. ` +
      `${card.dropped.duplicates} duplicate and ${card.dropped.empty} empty rows were dropped.`,
    '',
    '## Held-out test metrics',
    '',
    '| metric | value |',
    '|---|---:|',
    `| accuracy | ${pct(test.accuracy)} |`,
    `| macro F1 | ${pct(test.macroF1)} |`,
    `| test examples | ${test.examples} |`,
    `| latency p50 / p99 (batch 1) | ${card.latency.p50Ms} ms / ${card.latency.p99Ms} ms |`,
    '',
    '| class | support | precision | recall | F1 |',
    '|---|---:|---:|---:|---:|',
    ...test.perClass.map(
      (m) => `| ${m.label} | ${m.support} | ${pct(m.precision)} | ${pct(m.recall)} | ${pct(m.f1)} |`,
    ),
  ];
  const t = card.detection;
  if (t !== null) {
    lines.push(
      '',
      '## Detection threshold',
      '',
      `Flag when P(unsafe) ≥ **${t.threshold.toFixed(4)}** (chosen on validation for recall ≥ ${pct(t.targetRecall)}, ` +
        `raised if needed to a reference FPR ≤ ${pct(JAILBREAK_MAX_REFERENCE_FPR)}).`,
      '',
      `Reference false-positive rate = over ${t.referenceNegativeSources.join(', ')}; ` +
        'overall = over every benign text, deepset benign prompts included.',
      '',
      '| split | recall on attacks | FPR (reference) | FPR (overall) |',
      '|---|---:|---:|---:|',
      `| validation | ${pct(t.validation.recall)} | ${pct(t.validation.referenceFalsePositiveRate)} | ${pct(t.validation.falsePositiveRate)} |`,
      `| test | ${pct(t.test.recall)} (${t.test.positives}) | ${pct(t.test.referenceFalsePositiveRate)} (${t.test.referenceNegatives}) | ${pct(t.test.falsePositiveRate)} (${t.test.negatives}) |`,
      '',
      '| test source | examples | recall / false-positive rate |',
      '|---|---:|---:|',
      ...Object.entries(t.test.recallBySource).map(
        ([s, r]) => `| ${s} (attacks) | ${r.examples} | recall ${pct(r.recall)} |`,
      ),
      ...Object.entries(t.test.falsePositiveRateBySource).map(
        ([s, r]) => `| ${s} (benign) | ${r.examples} | FPR ${pct(r.rate)} |`,
      ),
    );
  }
  lines.push(
    '',
    '## Limits',
    '',
    '- Bag-of-n-grams model: no word order beyond bigrams, only the first ' +
      `${card.featurizer.maxChars} characters and ${card.featurizer.maxFeatures} features of a text are read.`,
    '- Metrics are on a held-out split of the same public data sets; real traffic differs.',
    '',
  );
  return lines.join('\n');
}

function toExamples(rows: readonly LabelledText[], featurizer: FeaturizerConfig): TrainingExample[] {
  return rows.map((row) => ({ features: featurize(row.text, featurizer), label: row.label }));
}

function logitsOf(model: WideMlpModel, examples: readonly TrainingExample[]): Float64Array[] {
  return examples.map((ex) => forwardLogits(model, ex.features));
}

/** Trains one model from parsed arguments, writes OUT/model.onnx, card.json and README.md. */
async function train(a: TrainArgs, io: TrainIO): Promise<ModelCard> {
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
  io.err(
    `train ${a.task}: ${dataset.train.length} train / ${dataset.validation.length} validation / ` +
      `${dataset.test.length} test rows\n`,
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
    io.err(
      `  epoch ${h.epoch}: train loss ${h.trainLoss.toFixed(4)}, validation loss ` +
        `${h.validationLoss?.toFixed(4)}, accuracy ${pct(h.validationAccuracy ?? 0)}\n`,
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
    threshold: detection === null ? null : detection.threshold,
    detection,
    latency,
    nodeVersion: process.version,
    createdBy: `semantic-router train (total ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  };
  writeFileSync(path.join(a.outDir, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
  writeFileSync(path.join(a.outDir, 'README.md'), renderReadme(card));
  return card;
}

/** `--task embedding`: the text embedding model of the `embeddings` and `complexity` signals. */
function trainEmbeddingCommand(args: string[], io: TrainIO): number {
  const { values } = parseArgs({
    args,
    options: COMMON_TRAIN_OPTIONS,
  });
  if (!values.out) throw new UsageError('--out DIR is required');
  const numberOption = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer`);
    return n;
  };
  const seed = numberOption('seed', values.seed);
  const maxRows = numberOption('max-rows', values['max-rows']);
  const result = trainEmbeddingModel({
    outDir: values.out,
    dataDir: path.resolve(values.data ?? '../shared/data'),
    ...(seed !== undefined && { seed }),
    ...(maxRows !== undefined && { maxRows }),
    log: (line) => io.err(`${line}\n`),
  });
  const retrieval = result.retrieval.map((r) => JSON.stringify(r)).join('\n  ');
  io.out(
    `${values.out}: embedding model, ${(result.bytes.length / 1024 / 1024).toFixed(2)} MiB\n  ${retrieval}\n`,
  );
  return 0;
}

/** `--task pii`: the PERSON / STREET_ADDRESS token tagger of the `pii` signal. */
async function trainPiiCommand(args: string[], io: TrainIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...COMMON_TRAIN_OPTIONS,
      ...WIDE_MLP_OPTIONS,
      'max-tokens': { type: 'string' },
      'context-window': { type: 'string' },
      delexicalize: { type: 'boolean' },
    },
  });
  if (!values.out) throw new UsageError('train needs --out DIR');
  const h = DEFAULT_TAGGER_HYPER;
  const f = DEFAULT_TAGGER_FEATURIZER;
  const int = { integer: true, min: 1 };
  const card = await trainAndWritePiiTagger({
    outDir: values.out,
    dataDir: values.data ?? '../shared/data',
    seed: numberArg(values.seed, 'seed', 42, { integer: true, min: 0 }),
    delexicalize: values.delexicalize ?? false,
    hyper: {
      embeddingDim: numberArg(values.dim, 'dim', h.embeddingDim, int),
      hiddenDim: numberArg(values.hidden, 'hidden', h.hiddenDim, int),
      epochs: numberArg(values.epochs, 'epochs', h.epochs, int),
      learningRate: numberArg(values.lr, 'lr', h.learningRate, { integer: false, min: Number.MIN_VALUE }),
      batchSize: numberArg(values.batch, 'batch', h.batchSize, int),
      weightDecay: numberArg(values['weight-decay'], 'weight-decay', h.weightDecay, {
        integer: false,
        min: 0,
      }),
      patience: numberArg(values.patience, 'patience', h.patience, int),
    },
    featurizer: {
      buckets: numberArg(values.buckets, 'buckets', f.buckets, int),
      maxFeatures: numberArg(values['max-features'], 'max-features', f.maxFeatures, int),
      maxChars: numberArg(values['max-chars'], 'max-chars', f.maxChars, int),
      maxTokens: numberArg(values['max-tokens'], 'max-tokens', f.maxTokens, int),
      contextWindow: numberArg(values['context-window'], 'context-window', f.contextWindow, {
        integer: true,
        min: 0,
      }),
    },
    ...(values['max-rows'] !== undefined && { maxRows: numberArg(values['max-rows'], 'max-rows', 0, int) }),
    log: (line) => io.err(`${line}\n`),
  });
  const scores = Object.entries(card.metrics.test)
    .map(
      ([type, s]) =>
        `${type} exact F1 ${pct(s.exact.f1)} (P ${pct(s.exact.precision)}, R ${pct(s.exact.recall)}), ` +
        `overlap F1 ${pct(s.overlap.f1)}`,
    )
    .join('; ');
  io.out(
    `${values.out}: pii tagger, ${(card.sizeBytes / 1024 / 1024).toFixed(2)} MiB, test ${scores}, ` +
      `latency p50 ${card.latency.p50Ms} ms p99 ${card.latency.p99Ms} ms, trained in ${card.training.timeSeconds} s\n`,
  );
  return 0;
}

function taskArg(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a.startsWith('--task=')) return a.slice('--task='.length);
    if (a === '--task') return args[i + 1];
  }
  return undefined;
}

/** `semantic-router train …`; returns the exit code (0 ok, 1 training or data error, 2 usage error). */
export async function trainCommand(args: string[], io: TrainIO): Promise<number> {
  const task = taskArg(args);
  if (task === 'embedding' || task === 'pii') {
    try {
      return task === 'pii' ? await trainPiiCommand(args, io) : trainEmbeddingCommand(args, io);
    } catch (error) {
      if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        io.err(`${(error as Error).message}\n${TRAIN_USAGE}`);
        return 2;
      }
      if (error instanceof DatasetError || error instanceof TrainingError) {
        io.err(`train: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
  }
  let parsed: TrainArgs;
  try {
    parsed = parseTrainArgs(args);
  } catch (error) {
    io.err(`${(error as Error).message}\n${TRAIN_USAGE}`);
    return 2;
  }
  try {
    const card = await train(parsed, io);
    const t = card.detection;
    io.out(
      `${parsed.outDir}: ${card.task} model, ${(card.sizeBytes / 1024 / 1024).toFixed(2)} MiB, ` +
        `test accuracy ${pct(card.metrics.test.accuracy)}, macro F1 ${pct(card.metrics.test.macroF1)}` +
        (t === null
          ? ''
          : `, threshold ${t.threshold.toFixed(4)}: recall ${pct(t.test.recall)}, ` +
            `FPR ${pct(t.test.referenceFalsePositiveRate)} reference / ${pct(t.test.falsePositiveRate)} overall`) +
        `, latency p50 ${card.latency.p50Ms} ms p99 ${card.latency.p99Ms} ms, trained in ${card.training.timeSeconds} s\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof DatasetError || error instanceof TrainingError) {
      io.err(`train: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
