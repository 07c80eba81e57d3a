// The embedding exporter: ONNX output equals the TS forward pass, rows are unit norm, metadata round-trips.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EmbeddingMetadataError,
  loadEmbeddingMetadata,
} from '../../../../src/ml/embedding/embedding-metadata.ts';
import { TextEmbedder } from '../../../../src/ml/embedding/text-embedder.ts';
import { ModelFileError, OnnxSessionPool } from '../../../../src/ml/onnx-session-pool.ts';
import { cosine } from '../../../../src/ml/vector-math.ts';
import { featurize } from '../../../../src/ml/wide-mlp/features.ts';
import { embedFeatures, exportEmbeddingOnnx } from '../../../../src/training/embedding/export-embedding.ts';
import { TfIdfIndex } from '../../../../src/training/embedding/tfidf.ts';
import { exportWideMlpOnnx } from '../../../../src/training/trainer/export-onnx.ts';
import { TINY_FEATURIZER, trainTinyEmbedding, writeTinyEmbedding } from './tiny-embedding.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'embedding-export-'));
const pool = new OnnxSessionPool();
afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

const texts = [
  'please solve this integral equation',
  'why does my python recursion overflow the kernel stack',
  'the doctor says my fever is a symptom',
  '',
  '请帮我写一个函数 😀',
  'hello thanks for the joke',
];

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

describe('exportEmbeddingOnnx', () => {
  const model = trainTinyEmbedding();
  const modelDir = writeTinyEmbedding(dir);
  const file = path.join(modelDir, 'model.onnx');

  it('runs in ONNX Runtime with the same output as the TS forward pass (1e-5), unit norm', async () => {
    const embedder = await TextEmbedder.load(pool, file);
    try {
      expect(embedder.dim).toBe(model.hiddenDim);
      const onnx = await embedder.embed(texts);
      texts.forEach((text, i) => {
        const expected = embedFeatures(model, featurize(text, TINY_FEATURIZER));
        const got = onnx[i] ?? new Float32Array();
        expect(got.length).toBe(model.hiddenDim);
        for (let j = 0; j < got.length; j++)
          expect(Math.abs((got[j] ?? 0) - (expected[j] ?? 0))).toBeLessThan(1e-5);
        const n = norm(got);
        // Either unit norm or the zero vector (a hidden layer that is all zero after ReLU).
        expect(n === 0 || Math.abs(n - 1) < 1e-5).toBe(true);
      });
    } finally {
      embedder.close();
    }
  });

  it('embeds more texts than one batch and keeps their order', async () => {
    const embedder = await TextEmbedder.load(pool, file);
    try {
      const many = Array.from({ length: 70 }, (_, i) => texts[i % texts.length] ?? '');
      const out = await embedder.embed(many);
      expect(out).toHaveLength(70);
      expect(Array.from(out[68] ?? [])).toEqual(Array.from(out[2] ?? []));
    } finally {
      embedder.close();
    }
  });

  it('puts texts of one topic closer together than texts of different topics', () => {
    const e = (t: string) => embedFeatures(model, featurize(t, TINY_FEATURIZER));
    const math = e('explain the derivative of a polynomial');
    expect(cosine(math, e('prove this theorem about the integral'))).toBeGreaterThan(
      cosine(math, e('the patient needs a vaccine')),
    );
  });

  it('stores featurizer, dim and seed in the metadata', () => {
    const bytes = exportEmbeddingOnnx(model, { featurizer: TINY_FEATURIZER, dim: model.hiddenDim, seed: 3 });
    expect(loadEmbeddingMetadata(bytes)).toEqual({
      featurizer: TINY_FEATURIZER,
      dim: model.hiddenDim,
      seed: 3,
    });
  });

  it('rejects a dim or bucket count that does not fit the model', () => {
    expect(() => exportEmbeddingOnnx(model, { featurizer: TINY_FEATURIZER, dim: 3, seed: 1 })).toThrow(
      EmbeddingMetadataError,
    );
    expect(() =>
      exportEmbeddingOnnx(model, {
        featurizer: { ...TINY_FEATURIZER, buckets: 7 },
        dim: model.hiddenDim,
        seed: 1,
      }),
    ).toThrow(/buckets/);
  });

  it('refuses to load a classifier or garbage as an embedding model', async () => {
    const classifier = exportWideMlpOnnx(
      { ...model, classes: 4 },
      { labels: ['a', 'b', 'c', 'd'], featurizer: TINY_FEATURIZER, temperature: 1, seed: 1 },
    );
    expect(() => loadEmbeddingMetadata(classifier)).toThrow(/model kind/);
    expect(() => loadEmbeddingMetadata(Uint8Array.from([1, 2, 3]))).toThrow(EmbeddingMetadataError);
    const { writeFileSync } = await import('node:fs');
    const bad = path.join(dir, 'classifier.onnx');
    writeFileSync(bad, classifier);
    await expect(TextEmbedder.load(pool, bad)).rejects.toThrow(ModelFileError);
    await expect(TextEmbedder.load(pool, path.join(dir, 'missing.onnx'))).rejects.toThrow(/not found/);
  });
});

describe('TfIdfIndex', () => {
  it('ranks the document sharing rare terms first and gives unit self-similarity', () => {
    const index = new TfIdfIndex(['the cat sat on the mat', 'the dog chased the cat', 'stock market news']);
    const scores = index.similarities('market news today');
    expect(scores[2]).toBeGreaterThan(0.5);
    expect(scores[0]).toBe(0);
    expect(index.similarities('the cat sat on the mat')[0]).toBeCloseTo(1, 10);
    expect(Array.from(index.similarities(''))).toEqual([0, 0, 0]);
  });
});
