// `train --task pii`: trains the token tagger, writes model.onnx, card.json and README.md, measures the export.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OnnxSessionPool } from '../../ml/onnx-session-pool.ts';
import type { LabelledRange } from '../../ml/tagger/spans.ts';
import type { TaggerFeaturizerConfig } from '../../ml/tagger/token-features.ts';
import { TokenTagger } from '../../ml/tagger/token-tagger.ts';
import { detectPii } from '../../pii/detect.ts';
import { PII_TYPES } from '../../pii/types.ts';
import { PII_DATA_FILE } from '../datasets/pii.ts';
import { type LatencySummary, summarizeLatency } from '../metrics.ts';
import { mergeAdjacent, spanScores, type TypeSpanScores } from './span-metrics.ts';
import { renderTaggerReadme } from './tagger-readme.ts';
import {
  TAGGER_ENTITY_TYPES,
  TAGGER_LABELS,
  type TaggerHyperParameters,
  type TaggerTrainOptions,
  trainPiiTagger,
} from './train-tagger.ts';

/** The model card written to OUT/card.json. */
export interface TaggerCard {
  readonly name: string;
  readonly task: 'pii';
  readonly labels: readonly string[];
  readonly entityTypes: readonly string[];
  readonly modelFile: string;
  readonly modelSha256: string;
  readonly sizeBytes: number;
  readonly data: { readonly file: string; readonly license: string };
  readonly rows: { readonly train: number; readonly validation: number; readonly test: number };
  readonly templates: { readonly train: number; readonly validation: number; readonly test: number };
  readonly tokens: { readonly train: number; readonly validation: number; readonly test: number };
  readonly splitMethod: string;
  readonly maxRows: number | null;
  readonly seed: number;
  readonly delexicalize: boolean;
  readonly hyperParameters: TaggerHyperParameters;
  readonly featurizer: TaggerFeaturizerConfig;
  readonly training: {
    readonly bestEpoch: number;
    readonly epochsRun: number;
    readonly history: TaggerTrainResultHistory;
    readonly timeSeconds: number;
  };
  readonly calibration: {
    readonly temperature: number;
    readonly nllBefore: number;
    readonly nllAfter: number;
  };
  /** How spans are compared (see span-metrics.ts). */
  readonly metricsMethod: string;
  readonly metrics: {
    readonly validation: Record<string, TypeSpanScores>;
    readonly test: Record<string, TypeSpanScores>;
    /** The validators (`detectPii`, threshold 0.5) on the same test texts, for comparison. */
    readonly testStructured: Record<string, TypeSpanScores>;
  };
  readonly latency: LatencySummary & {
    readonly method: string;
    /** Test texts whose ONNX spans differ from the trainer's (export parity; expected 0). */
    readonly parityMismatches: number;
  };
  readonly nodeVersion: string;
  readonly createdBy: string;
}

type TaggerTrainResultHistory = readonly {
  epoch: number;
  trainLoss: number;
  validationLoss?: number;
  validationAccuracy?: number;
}[];

export const TAGGER_METRICS_METHOD =
  'span-level on held-out templates; gold spans of one type that overlap or are separated only by spaces and ' +
  'commas are merged first (Presidio annotates some addresses piecewise); exact = same type and boundaries ' +
  'after trimming spaces and sentence punctuation; overlap = same type and any shared character; ' +
  'predicted and gold spans are matched one to one';

function structuredScores(texts: readonly { text: string; spans: readonly LabelledRange[] }[]) {
  const predicted = texts.map((x) =>
    detectPii(x.text)
      .filter((s) => s.confidence >= 0.5)
      .map((s) => ({ label: s.type, start: s.start, end: s.end })),
  );
  const seen = (t: string) =>
    texts.some((x) => x.spans.some((s) => s.label === t)) ||
    predicted.some((p) => p.some((s) => s.label === t));
  const types = PII_TYPES.filter(seen);
  const known = new Set<string>(types);
  return spanScores(
    texts.map((x, i) => ({
      text: x.text,
      gold: mergeAdjacent(
        x.text,
        x.spans.filter((s) => known.has(s.label)),
      ),
      predicted: predicted[i] ?? [],
    })),
    types,
  );
}

async function measure(
  file: string,
  texts: readonly string[],
  expected: readonly (readonly LabelledRange[])[],
): Promise<TaggerCard['latency']> {
  const pool = new OnnxSessionPool();
  try {
    const tagger = await TokenTagger.load(pool, file);
    for (const text of texts.slice(0, 20)) await tagger.spans([text]);
    const times: number[] = [];
    let mismatches = 0;
    for (let i = 0; i < texts.length; i++) {
      const started = performance.now();
      const [spans = []] = await tagger.spans([texts[i] ?? '']);
      times.push(performance.now() - started);
      const key = (xs: readonly LabelledRange[]) => xs.map((s) => `${s.label}:${s.start}:${s.end}`).join(',');
      if (key(spans) !== key(expected[i] ?? [])) mismatches++;
    }
    tagger.close();
    return {
      ...summarizeLatency(times),
      method:
        'sequential batch-1 spans() (tokenise + features + ONNX Runtime, 1 intra-op thread) over the test texts, after 20 warm-up calls',
      parityMismatches: mismatches,
    };
  } finally {
    await pool.close();
  }
}

/** Trains with `options` and writes OUT/model.onnx, card.json and README.md. */
export async function trainAndWritePiiTagger(
  options: TaggerTrainOptions & { readonly outDir: string },
): Promise<TaggerCard> {
  const started = performance.now();
  const result = trainPiiTagger(options);
  mkdirSync(options.outDir, { recursive: true });
  const modelFile = path.resolve(options.outDir, 'model.onnx');
  writeFileSync(modelFile, result.bytes);
  const { dataset } = result;
  const latency = await measure(
    modelFile,
    dataset.test.map((x) => x.text),
    result.testPredictions,
  );
  const card: TaggerCard = {
    name: path.basename(path.resolve(options.outDir)),
    task: 'pii',
    labels: TAGGER_LABELS,
    entityTypes: TAGGER_ENTITY_TYPES,
    modelFile: 'model.onnx',
    modelSha256: createHash('sha256').update(result.bytes).digest('hex'),
    sizeBytes: result.bytes.byteLength,
    data: { file: PII_DATA_FILE, license: 'MIT (microsoft/presidio-research)' },
    rows: { train: dataset.train.length, validation: dataset.validation.length, test: dataset.test.length },
    templates: dataset.groups,
    tokens: result.tokens,
    splitMethod: dataset.splitMethod,
    maxRows: options.maxRows ?? null,
    seed: options.seed,
    delexicalize: options.delexicalize,
    hyperParameters: options.hyper,
    featurizer: options.featurizer,
    training: {
      bestEpoch: result.bestEpoch,
      epochsRun: result.history.length,
      history: result.history,
      timeSeconds: Math.round(result.trainSeconds * 10) / 10,
    },
    calibration: result.temperature,
    metricsMethod: TAGGER_METRICS_METHOD,
    metrics: {
      validation: result.metrics.validation,
      test: result.metrics.test,
      testStructured: structuredScores(dataset.test),
    },
    latency,
    nodeVersion: process.version,
    createdBy: `semantic-router train --task pii (total ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  };
  writeFileSync(path.join(options.outDir, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
  writeFileSync(path.join(options.outDir, 'README.md'), renderTaggerReadme(card));
  return card;
}
