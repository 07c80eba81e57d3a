// ONNX export of a trained WideMLP: parity with the TypeScript forward pass in ONNX Runtime, metadata, runtime.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxSessionPool } from '../../../../src/ml/onnx-session-pool.ts';
import { buildFeeds, WideMlpClassifier } from '../../../../src/ml/wide-mlp/classifier-runtime.ts';
import { type FeaturizerConfig, featurize } from '../../../../src/ml/wide-mlp/features.ts';
import {
  loadWideMlpMetadata,
  type WideMlpMetadata,
  WideMlpMetadataError,
} from '../../../../src/ml/wide-mlp/metadata.ts';
import { OnnxGraphBuilder } from '../../../../src/training/onnx-writer.ts';
import { oodScore } from '../../../../src/training/trainer/calibration.ts';
import { exportWideMlpOnnx } from '../../../../src/training/trainer/export-onnx.ts';
import {
  forwardLogits,
  predictProbabilities,
  trainWideMlp,
  type WideMlpModel,
} from '../../../../src/training/trainer/wide-mlp.ts';
import { SYNTHETIC_LABELS, syntheticDataset } from './synthetic.ts';

const featurizer: FeaturizerConfig = {
  buckets: 1 << 12,
  wordNgrams: 2,
  charNgramMin: 3,
  charNgramMax: 5,
  maxFeatures: 128,
  maxChars: 1024,
};

const TEXTS = [
  'how do I bake bread dough in the oven?',
  'which team won the football match today',
  'should I invest in bonds or pay my mortgage',
  '',
  '😀 東京は日本の首都です',
  'the the the',
];

const dir = mkdtempSync(path.join(tmpdir(), 'wide-mlp-onnx-'));
const pool = new OnnxSessionPool();
let model: WideMlpModel;
let metadata: WideMlpMetadata;
let bytes: Uint8Array;
let file: string;

beforeAll(() => {
  const train = syntheticDataset(300, 5).map((e) => ({
    features: featurize(e.text, featurizer),
    label: e.label,
  }));
  model = trainWideMlp(
    train,
    { buckets: featurizer.buckets, classes: 3 },
    {
      embeddingDim: 8,
      hiddenDim: 16,
      epochs: 3,
      learningRate: 0.02,
      batchSize: 16,
      seed: 9,
    },
  ).model;
  metadata = { labels: [...SYNTHETIC_LABELS], featurizer, temperature: 1.7, seed: 9 };
  bytes = exportWideMlpOnnx(model, metadata);
  file = path.join(dir, 'wide-mlp.onnx');
  writeFileSync(file, bytes);
});

afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('exportWideMlpOnnx', () => {
  it('computes in ONNX Runtime what the TypeScript forward pass computes (incl. an all-padding row)', async () => {
    const session = await ort.InferenceSession.create(bytes);
    try {
      const out = await session.run(buildFeeds(TEXTS, metadata));
      const probs = out.probabilities?.data as Float32Array;
      const logits = out.logits?.data as Float32Array;
      expect(out.probabilities?.dims).toEqual([TEXTS.length, 3]);
      TEXTS.forEach((text, row) => {
        const features = featurize(text, featurizer);
        const expected = predictProbabilities(model, features, metadata.temperature);
        const raw = forwardLogits(model, features);
        for (let k = 0; k < 3; k++) {
          expect(Math.abs((probs[row * 3 + k] ?? Number.NaN) - (expected[k] ?? 0))).toBeLessThan(1e-5);
          const calibrated = (raw[k] ?? 0) / metadata.temperature;
          expect(Math.abs((logits[row * 3 + k] ?? Number.NaN) - calibrated)).toBeLessThan(1e-4);
        }
      });
      const empty = probs.subarray(3 * 3, 4 * 3);
      expect(empty.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
      expect(empty.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    } finally {
      await session.release();
    }
  });

  it('runs a batch of only empty texts (one padding column)', async () => {
    const session = await ort.InferenceSession.create(bytes);
    try {
      const feeds = buildFeeds(['', ''], metadata);
      expect(feeds.feature_ids?.dims).toEqual([2, 1]);
      const out = await session.run(feeds);
      const probs = out.probabilities?.data as Float32Array;
      expect(probs.every((v) => Number.isFinite(v))).toBe(true);
    } finally {
      await session.release();
    }
  });

  it('stores and reads back the metadata', () => {
    expect(loadWideMlpMetadata(bytes)).toEqual(metadata);
  });

  it('rejects mismatched metadata and foreign models', () => {
    expect(() => exportWideMlpOnnx(model, { ...metadata, labels: ['a', 'b'] })).toThrow(WideMlpMetadataError);
    expect(() => exportWideMlpOnnx(model, { ...metadata, temperature: 0 })).toThrow(WideMlpMetadataError);
    const other = new OnnxGraphBuilder({ name: 'other' })
      .input('x', 'float32', [1])
      .output('y', 'float32', [1])
      .node('Relu', ['x'], ['y'])
      .toBytes();
    expect(() => loadWideMlpMetadata(other)).toThrow(WideMlpMetadataError);
    expect(() => loadWideMlpMetadata(Uint8Array.of(0xff, 0xff, 0xff))).toThrow(WideMlpMetadataError);
  });
});

describe('WideMlpClassifier', () => {
  it('classifies through the session pool with labels, probabilities and OOD scores', async () => {
    const classifier = await WideMlpClassifier.load(pool, file);
    try {
      const results = await classifier.classify(TEXTS);
      expect(results).toHaveLength(TEXTS.length);
      expect(results.slice(0, 3).map((r) => r.label)).toEqual(['cooking', 'sports', 'finance']);
      results.forEach((r, row) => {
        const raw = forwardLogits(model, featurize(TEXTS[row] ?? '', featurizer));
        const expected = oodScore(raw, metadata.temperature);
        expect(r.confidence).toBeCloseTo(expected.maxProbability, 5);
        expect(r.ood).toBeCloseTo(expected.ood, 5);
        expect(r.energy).toBeCloseTo(expected.energy, 4);
        expect(r.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      });
      expect(await classifier.classify([])).toEqual([]);
    } finally {
      await classifier.release();
    }
  });
});
