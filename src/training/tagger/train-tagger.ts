// Trains the built-in PII token tagger (PERSON, STREET_ADDRESS) reproducibly and scores it on held-out templates.

import { decodeSpans, goldTokenLabels, type LabelledRange, OUTSIDE } from '../../ml/tagger/spans.ts';
import {
  DEFAULT_TAGGER_FEATURIZER,
  type TaggerFeaturizerConfig,
  tokenFeatures,
} from '../../ml/tagger/token-features.ts';
import { type Token, tokenizeWithOffsets } from '../../ml/tagger/tokens.ts';
import { loadPiiDataset, type PiiDataset, type PiiExample } from '../datasets/pii.ts';
import { fitTemperature } from '../trainer/calibration.ts';
import type { WideMlpTrainingSettings } from '../trainer/reproduce.ts';
import {
  forwardLogits,
  softmax,
  type TrainingExample,
  trainWideMlp,
  type WideMlpModel,
} from '../trainer/wide-mlp.ts';
import { exportTokenTaggerOnnx } from './export-tagger.ts';
import { mergeAdjacent, type ScoredText, spanScores, type TypeSpanScores } from './span-metrics.ts';

/** Entity types the built-in tagger learns (Presidio names). */
export const TAGGER_ENTITY_TYPES = ['PERSON', 'STREET_ADDRESS'] as const;
export const TAGGER_LABELS: readonly string[] = [OUTSIDE, ...TAGGER_ENTITY_TYPES];

export type TaggerHyperParameters = WideMlpTrainingSettings;

export const DEFAULT_TAGGER_HYPER: TaggerHyperParameters = {
  embeddingDim: 24,
  hiddenDim: 64,
  epochs: 30,
  learningRate: 0.001,
  batchSize: 64,
  weightDecay: 0.01,
  patience: 3,
};

export interface TaggerTrainOptions {
  readonly dataDir: string;
  readonly seed: number;
  readonly hyper: TaggerHyperParameters;
  readonly featurizer: TaggerFeaturizerConfig;
  /** Adds a copy of every training token without the cues of its own spelling (generalises to unseen names). */
  readonly delexicalize: boolean;
  /** Only the first rows of the data set (tests). */
  readonly maxRows?: number;
  /** Progress lines (never prompt text). */
  readonly log?: (line: string) => void;
}

/** A text prepared for the tagger: its tokens, their features and gold labels. */
interface PreparedText {
  readonly example: PiiExample;
  readonly tokens: Token[];
  readonly features: Int32Array[];
  readonly labels: number[];
  /** Features without the tokens' own spelling (training augmentation), when asked for. */
  readonly delexicalized?: Int32Array[];
}

export interface TaggerTrainResult {
  readonly model: WideMlpModel;
  readonly bytes: Uint8Array;
  readonly dataset: PiiDataset;
  readonly temperature: {
    readonly temperature: number;
    readonly nllBefore: number;
    readonly nllAfter: number;
  };
  readonly history: readonly {
    epoch: number;
    trainLoss: number;
    validationLoss?: number;
    validationAccuracy?: number;
  }[];
  readonly bestEpoch: number;
  readonly trainSeconds: number;
  readonly tokens: { readonly train: number; readonly validation: number; readonly test: number };
  readonly metrics: {
    readonly validation: Record<string, TypeSpanScores>;
    readonly test: Record<string, TypeSpanScores>;
  };
  /** Spans the trainer predicts on the first test texts, to check the ONNX export against. */
  readonly testPredictions: readonly (readonly LabelledRange[])[];
}

function learnedRanges(example: PiiExample): LabelledRange[] {
  const learned = new Set<string>(TAGGER_ENTITY_TYPES);
  return example.spans.filter((s) => learned.has(s.label));
}

function prepare(
  examples: readonly PiiExample[],
  featurizer: TaggerFeaturizerConfig,
  delexicalize = false,
): PreparedText[] {
  return examples.map((example) => {
    const tokens = tokenizeWithOffsets(example.text, featurizer.maxChars, featurizer.maxTokens);
    return {
      example,
      tokens,
      features: tokenFeatures(example.text, tokens, featurizer),
      labels: goldTokenLabels(tokens, learnedRanges(example), TAGGER_LABELS),
      ...(delexicalize && { delexicalized: tokenFeatures(example.text, tokens, featurizer, true) }),
    };
  });
}

/**
 * Annotated types whose tokens are left out of training: the synthetic organisation names are mostly built
 * from surnames (`Smith, Jones and Davis`), and teaching that those are not names costs recall on people.
 */
export const IGNORED_TYPES: readonly string[] = ['ORGANIZATION'];

function ignoredTokens(t: PreparedText): boolean[] {
  const ignored = t.example.spans.filter((s) => IGNORED_TYPES.includes(s.label));
  return t.tokens.map((token) => ignored.some((s) => s.start < token.end && token.start < s.end));
}

function tokenExamples(texts: readonly PreparedText[], skipIgnored = false): TrainingExample[] {
  return texts.flatMap((t) => {
    const skip = skipIgnored ? ignoredTokens(t) : [];
    const keep = (_: unknown, i: number) => skip[i] !== true;
    const rows = t.features.map((features, i) => ({ features, label: t.labels[i] ?? 0 })).filter(keep);
    const extra = (t.delexicalized ?? [])
      .map((features, i) => ({ features, label: t.labels[i] ?? 0 }))
      .filter(keep);
    return [...rows, ...extra];
  });
}

/** Spans the (in-memory) model finds in a prepared text at a temperature. */
export function predictSpans(model: WideMlpModel, text: PreparedText, temperature: number): LabelledRange[] {
  const c = TAGGER_LABELS.length;
  const probs = new Float64Array(text.tokens.length * c);
  text.features.forEach((f, row) => {
    probs.set(softmax(forwardLogits(model, f), temperature), row * c);
  });
  return decodeSpans(text.example.text, text.tokens, TAGGER_LABELS, probs).map((s) => ({
    label: s.label,
    start: s.start,
    end: s.end,
  }));
}

function evaluateSplit(
  model: WideMlpModel,
  texts: readonly PreparedText[],
  temperature: number,
): { scores: Record<string, TypeSpanScores>; predictions: LabelledRange[][] } {
  const predictions = texts.map((t) => predictSpans(model, t, temperature));
  const scored: ScoredText[] = texts.map((t, i) => ({
    text: t.example.text,
    gold: mergeAdjacent(t.example.text, learnedRanges(t.example)),
    predicted: predictions[i] ?? [],
  }));
  return { scores: spanScores(scored, TAGGER_ENTITY_TYPES), predictions };
}

/** Trains, calibrates, evaluates and exports; equal options give identical bytes. */
export function trainPiiTagger(options: TaggerTrainOptions): TaggerTrainResult {
  const log = options.log ?? (() => undefined);
  const { featurizer, hyper } = options;
  const dataset = loadPiiDataset(options.dataDir, options.maxRows);
  const train = prepare(dataset.train, featurizer, options.delexicalize);
  const validation = prepare(dataset.validation, featurizer);
  const test = prepare(dataset.test, featurizer);
  const trainTokens = tokenExamples(train, true);
  const validationTokens = tokenExamples(validation);
  log(
    `train pii: ${train.length}/${validation.length}/${test.length} texts, ` +
      `${trainTokens.length}/${validationTokens.length} train/validation tokens`,
  );
  const started = performance.now();
  const result = trainWideMlp(
    trainTokens,
    { buckets: featurizer.buckets, classes: TAGGER_LABELS.length },
    {
      ...hyper,
      seed: options.seed,
      ...(validationTokens.length > 0 && { validation: validationTokens }),
    },
  );
  const trainSeconds = (performance.now() - started) / 1000;
  for (const h of result.history) {
    log(
      `  epoch ${h.epoch}: train loss ${h.trainLoss.toFixed(4)}, validation loss ${h.validationLoss?.toFixed(4)}`,
    );
  }
  const { model } = result;
  const calibration =
    validationTokens.length > 0
      ? fitTemperature(
          validationTokens.map((ex) => forwardLogits(model, ex.features)),
          validationTokens.map((ex) => ex.label),
        )
      : { temperature: 1, nllBefore: 0, nllAfter: 0 };
  const T = calibration.temperature;
  const v = evaluateSplit(model, validation, T);
  const t = evaluateSplit(model, test, T);
  const bytes = exportTokenTaggerOnnx(model, {
    labels: TAGGER_LABELS,
    featurizer,
    temperature: T,
    seed: options.seed,
  });
  return {
    model,
    bytes,
    dataset,
    temperature: calibration,
    history: result.history,
    bestEpoch: result.bestEpoch,
    trainSeconds,
    tokens: {
      train: trainTokens.length,
      validation: validationTokens.length,
      test: test.reduce((n, x) => n + x.tokens.length, 0),
    },
    metrics: { validation: v.scores, test: t.scores },
    testPredictions: t.predictions,
  };
}

export { DEFAULT_TAGGER_FEATURIZER };
