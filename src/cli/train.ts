// `semantic-router train`: flags, usage and output; the trainers live in src/training/.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LEXICAL_CARD_FILE, LEXICAL_IDF_FILE } from '../ml/lexical/lexical-embedder.ts';
import { DEFAULT_TAGGER_FEATURIZER } from '../ml/tagger/token-features.ts';
import {
  DEFAULT_HYPER_PARAMETERS,
  type HyperParameters,
  TASK_DEFAULTS,
} from '../training/classifier/hyper-parameters.ts';
import { type ClassifierTrainingOptions, trainClassifier } from '../training/classifier/train-classifier.ts';
import { DatasetError, TASK_NAMES } from '../training/datasets/index.ts';
import { trainEmbeddingModel } from '../training/embedding/train-embedding.ts';
import { trainLexicalModel } from '../training/lexical/train-lexical.ts';
import { formatPercent as pct } from '../training/metrics.ts';
import { TRAIN_SELECTION_USAGE, trainSelectionCommand } from '../training/selection/selection-command.ts';
import { DEFAULT_TAGGER_HYPER } from '../training/tagger/train-tagger.ts';
import { trainAndWritePiiTagger } from '../training/tagger/write-tagger.ts';
import { TrainingError } from '../training/trainer/wide-mlp.ts';

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
  semantic-router train --task lexical --out DIR [--data ../shared/data] [--seed 42]
  (lexical: the similarity model of vLLM Semantic Router policies' embedding and complexity rules)
  semantic-router train --task pii --out DIR [--data ../shared/data] [--seed 42] [--buckets 32768] [--dim 24]
      [--hidden 64] [--epochs 30] [--lr 0.001] [--batch 64] [--weight-decay 0.01] [--patience 3]
      [--max-features 64] [--max-chars 4096] [--max-tokens 1024] [--context-window 4] [--delexicalize]
      [--max-rows N]
  (pii: a PERSON / STREET_ADDRESS token tagger from presidio-synth, split by template)
${TRAIN_SELECTION_USAGE}`;

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

function parseTrainArgs(args: string[]): ClassifierTrainingOptions {
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
    ...(TASK_DEFAULTS[task].threshold === undefined ? {} : { threshold: TASK_DEFAULTS[task].threshold }),
    maxRows: values['max-rows'] === undefined ? undefined : numberArg(values['max-rows'], 'max-rows', 0, int),
    latencySamples: numberArg(values['latency-samples'], 'latency-samples', 300, int),
  };
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

/** `--task lexical`: the lexical similarity model vLLM Semantic Router policies' similarity rules use. */
async function trainLexicalCommand(args: string[], io: TrainIO): Promise<number> {
  const { values } = parseArgs({ args, options: COMMON_TRAIN_OPTIONS });
  if (!values.out) throw new UsageError('--out DIR is required');
  const seed = numberArg(values.seed, 'seed', 42, { integer: true, min: 0 });
  const result = await trainLexicalModel({ dataDir: path.resolve(values.data ?? '../shared/data'), seed });
  await mkdir(values.out, { recursive: true });
  await writeFile(path.join(values.out, LEXICAL_IDF_FILE), result.idf);
  await writeFile(path.join(values.out, LEXICAL_CARD_FILE), `${JSON.stringify(result.card, null, 2)}\n`);
  io.out(`${values.out}: lexical similarity model\n${result.report}\n`);
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
  if (task === 'selection') return trainSelectionCommand(args, io);
  if (task === 'embedding' || task === 'pii' || task === 'lexical') {
    try {
      if (task === 'lexical') return await trainLexicalCommand(args, io);
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
  let parsed: ClassifierTrainingOptions;
  try {
    parsed = parseTrainArgs(args);
  } catch (error) {
    io.err(`${(error as Error).message}\n${TRAIN_USAGE}`);
    return 2;
  }
  try {
    const card = await trainClassifier(parsed, (line) => io.err(`${line}\n`));
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
