// Tiny WideMLP classifiers trained in tests on seeded keyword sentences, written as model dirs (model.onnx + card).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type FeaturizerConfig, featurize } from '../../../../src/ml/wide-mlp/features.ts';
import { seededRandom } from '../../../../src/seeded-random.ts';
import { exportWideMlpOnnx } from '../../../../src/training/trainer/export-onnx.ts';
import { trainWideMlp } from '../../../../src/training/trainer/wide-mlp.ts';

const featurizer: FeaturizerConfig = {
  buckets: 1 << 12,
  wordNgrams: 1,
  charNgramMin: 0,
  charNgramMax: 0,
  maxFeatures: 64,
  maxChars: 512,
};

const FILLER = ['the', 'a', 'please', 'tell', 'me', 'about', 'how', 'why', 'can', 'you', 'explain', 'this'];

export interface TinyModelSpec {
  /** Class names. */
  readonly labels: readonly string[];
  /** Words that signal each class (same order as labels). */
  readonly keywords: readonly (readonly string[])[];
  readonly seed?: number;
}

/** Domain-like labels with their keywords. */
export const DOMAIN_SPEC: TinyModelSpec = {
  labels: ['math', 'computer science', 'health'],
  keywords: [
    ['integral', 'equation', 'derivative', 'algebra', 'theorem', 'polynomial'],
    ['python', 'compiler', 'algorithm', 'database', 'javascript', 'recursion'],
    ['doctor', 'symptoms', 'medicine', 'fever', 'vaccine', 'diet'],
  ],
};

export const JAILBREAK_SPEC: TinyModelSpec = {
  labels: ['benign', 'jailbreak'],
  keywords: [
    ['weather', 'recipe', 'summary', 'translate', 'poem', 'history'],
    ['ignore', 'instructions', 'unrestricted', 'dan', 'bypass', 'jailbreak'],
  ],
};

export const GUARD_SPEC: TinyModelSpec = {
  labels: ['finance', 'healthcare', 'out_of_domain'],
  keywords: [
    ['stock', 'loan', 'bank', 'invest', 'dividend', 'mortgage'],
    ['doctor', 'hospital', 'medicine', 'patient', 'symptoms', 'vaccine'],
    ['football', 'movie', 'guitar', 'weather', 'travel', 'painting'],
  ],
};

/** Trains a classifier (well under a second) and returns its ONNX bytes. */
export function trainTinyModel(spec: TinyModelSpec): Uint8Array {
  const random = seededRandom(spec.seed ?? 7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const examples = [];
  for (let i = 0; i < 60 * spec.labels.length; i++) {
    const label = i % spec.labels.length;
    const words = Array.from({ length: 3 + Math.floor(random() * 4) }, () => pick(FILLER));
    const own = spec.keywords[label] ?? [];
    words.splice(Math.floor(random() * words.length), 0, pick(own), pick(own));
    examples.push({ features: featurize(words.join(' '), featurizer), label });
  }
  const { model } = trainWideMlp(
    examples,
    { buckets: featurizer.buckets, classes: spec.labels.length },
    { embeddingDim: 8, hiddenDim: 16, epochs: 12, learningRate: 0.05, batchSize: 16, seed: spec.seed ?? 7 },
  );
  return exportWideMlpOnnx(model, { labels: [...spec.labels], featurizer, temperature: 1, seed: 7 });
}

/** Writes `<dir>/<name>/model.onnx` (and `card.json` when given) and returns the model directory. */
export function writeTinyModel(dir: string, name: string, spec: TinyModelSpec, card?: unknown): string {
  const modelDir = path.join(dir, name);
  mkdirSync(modelDir, { recursive: true });
  writeFileSync(path.join(modelDir, 'model.onnx'), trainTinyModel(spec));
  if (card !== undefined) writeFileSync(path.join(modelDir, 'card.json'), JSON.stringify(card));
  return modelDir;
}
