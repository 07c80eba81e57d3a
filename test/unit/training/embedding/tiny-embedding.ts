// A tiny text embedding model trained in tests on seeded keyword sentences (math / code / health / chit-chat).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type FeaturizerConfig, featurize } from '../../../../src/ml/wide-mlp/features.ts';
import { seededRandom } from '../../../../src/seeded-random.ts';
import { exportEmbeddingOnnx } from '../../../../src/training/embedding/export-embedding.ts';
import { trainWideMlp, type WideMlpModel } from '../../../../src/training/trainer/wide-mlp.ts';

export const TINY_FEATURIZER: FeaturizerConfig = {
  buckets: 1 << 12,
  wordNgrams: 1,
  charNgramMin: 0,
  charNgramMax: 0,
  maxFeatures: 64,
  maxChars: 512,
};

const FILLER = ['the', 'a', 'please', 'tell', 'me', 'about', 'how', 'why', 'can', 'you', 'explain', 'this'];

/** Topic keywords; texts built from one topic's words embed close to each other. */
export const TINY_TOPICS: readonly (readonly string[])[] = [
  ['integral', 'equation', 'derivative', 'algebra', 'theorem', 'polynomial', 'proof'],
  ['python', 'compiler', 'algorithm', 'database', 'javascript', 'recursion', 'kernel'],
  ['doctor', 'symptoms', 'medicine', 'fever', 'vaccine', 'diet', 'patient'],
  ['hello', 'thanks', 'weather', 'joke', 'movie', 'weekend', 'lunch'],
];

/** Trains the tiny model (well under a second). */
export function trainTinyEmbedding(seed = 11): WideMlpModel {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const examples = [];
  for (let i = 0; i < 80 * TINY_TOPICS.length; i++) {
    const label = i % TINY_TOPICS.length;
    const words = Array.from({ length: 3 + Math.floor(random() * 4) }, () => pick(FILLER));
    const own = TINY_TOPICS[label] ?? [];
    words.splice(Math.floor(random() * words.length), 0, pick(own), pick(own));
    examples.push({ features: featurize(words.join(' '), TINY_FEATURIZER), label });
  }
  return trainWideMlp(
    examples,
    { buckets: TINY_FEATURIZER.buckets, classes: TINY_TOPICS.length },
    { embeddingDim: 8, hiddenDim: 16, epochs: 12, learningRate: 0.05, batchSize: 16, seed },
  ).model;
}

/** Writes `<dir>/<name>/model.onnx` with the tiny embedding model and returns the model directory. */
export function writeTinyEmbedding(dir: string, name = 'embedding'): string {
  const model = trainTinyEmbedding();
  const modelDir = path.join(dir, name);
  mkdirSync(modelDir, { recursive: true });
  const bytes = exportEmbeddingOnnx(model, { featurizer: TINY_FEATURIZER, dim: model.hiddenDim, seed: 11 });
  writeFileSync(path.join(modelDir, 'model.onnx'), bytes);
  return modelDir;
}
