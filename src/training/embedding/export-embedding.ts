// Exports a WideMLP's L2-normalised hidden layer as an ONNX text-embedding model, and its TS reference forward;
// src/ml/embedding/embedding-metadata.ts reads it back.
import {
  EMBEDDING_FORMAT_VERSION,
  EMBEDDING_KIND,
  EMBEDDING_OUTPUT,
  type EmbeddingMetadata,
  EmbeddingMetadataError,
  EMBEDDING_METADATA_KEYS as KEYS,
} from '../../ml/embedding/embedding-metadata.ts';
import { attr, OnnxGraphBuilder } from '../onnx-writer.ts';
import { addBagConstants, addBagHiddenLayer } from '../trainer/export-onnx.ts';
import type { WideMlpModel } from '../trainer/wide-mlp.ts';

/** Norms below this are treated as zero, so an all-zero hidden layer embeds as the zero vector. */
export const NORM_EPSILON = 1e-12;

/**
 * Serialises the encoder half of a WideMLP: masked mean of the n-gram embeddings → W1 + b1 → ReLU → divide by
 * the L2 norm. Inputs: `feature_ids` int64 [batch, n], `feature_mask` float [batch, n]. Output: `embedding`.
 */
export function exportEmbeddingOnnx(model: WideMlpModel, metadata: EmbeddingMetadata): Uint8Array {
  const { buckets, embeddingDim: d, hiddenDim: hd } = model;
  if (metadata.dim !== hd)
    throw new EmbeddingMetadataError(`dim ${metadata.dim} for a hidden layer of ${hd}`);
  if (metadata.featurizer.buckets !== buckets) {
    throw new EmbeddingMetadataError(
      `featurizer has ${metadata.featurizer.buckets} buckets, model ${buckets}`,
    );
  }
  const g = new OnnxGraphBuilder({
    name: 'wide_mlp_embedding',
    opset: 17,
    docString: 'hashed n-gram WideMLP text embedding (L2-normalised hidden layer)',
  });
  g.input('feature_ids', 'int64', ['batch', 'n'])
    .input('feature_mask', 'float32', ['batch', 'n'])
    .output(EMBEDDING_OUTPUT, 'float32', ['batch', hd])
    .initializer('embedding_table', model.embedding, [buckets, d])
    .initializer('w1', model.w1, [d, hd])
    .initializer('b1', model.b1, [hd]);
  addBagConstants(g).initializer('epsilon', Float32Array.from([NORM_EPSILON]), []);
  addBagHiddenLayer(g, 'embedding_table')
    .node('ReduceL2', ['h'], ['norm'], { axes: attr.ints([1]), keepdims: attr.int(1) }, { name: 'l2' })
    .node('Max', ['norm', 'epsilon'], ['norm_safe'], {}, { name: 'norm_safe' })
    .node('Div', ['h', 'norm_safe'], [EMBEDDING_OUTPUT], {}, { name: 'normalise' })
    .metadata(KEYS.kind, EMBEDDING_KIND)
    .metadata(KEYS.version, String(EMBEDDING_FORMAT_VERSION))
    .metadata(KEYS.featurizer, JSON.stringify(metadata.featurizer))
    .metadata(KEYS.dim, String(hd))
    .metadata(KEYS.seed, String(metadata.seed));
  return g.toBytes();
}

/**
 * Reference forward pass in TypeScript (double precision, rounded to float32 at the end): the same embedding
 * the exported graph computes for one featurized text.
 */
export function embedFeatures(model: WideMlpModel, features: Int32Array): Float32Array {
  const { embeddingDim: d, hiddenDim: hd, embedding, w1, b1 } = model;
  const e = new Float64Array(d);
  for (const f of features) {
    const row = f * d;
    for (let j = 0; j < d; j++) e[j] = (e[j] ?? 0) + (embedding[row + j] ?? 0);
  }
  const inv = 1 / Math.max(1, features.length);
  const h = new Float64Array(hd);
  for (let u = 0; u < hd; u++) h[u] = b1[u] ?? 0;
  for (let j = 0; j < d; j++) {
    const ej = (e[j] ?? 0) * inv;
    const row = j * hd;
    for (let u = 0; u < hd; u++) h[u] = (h[u] ?? 0) + ej * (w1[row + u] ?? 0);
  }
  let norm = 0;
  for (let u = 0; u < hd; u++) {
    const v = Math.max(0, h[u] ?? 0);
    h[u] = v;
    norm += v * v;
  }
  const scale = 1 / Math.max(Math.sqrt(norm), NORM_EPSILON);
  return Float32Array.from(h, (v) => v * scale);
}
