// Exports a trained WideMLP to ONNX (embedding bag → MLP → temperature → softmax);
// src/ml/wide-mlp/metadata.ts reads it back.
import {
  WIDE_MLP_METADATA_KEYS as KEYS,
  WIDE_MLP_FORMAT_VERSION,
  WIDE_MLP_KIND,
  type WideMlpMetadata,
  WideMlpMetadataError,
} from '../../ml/wide-mlp/metadata.ts';
import { attr, OnnxGraphBuilder } from '../onnx-writer.ts';
import type { WideMlpModel } from './wide-mlp.ts';

/** Shared constants of the embedding-bag subgraph (added after the model's own initializers). */
export function addBagConstants(g: OnnxGraphBuilder): OnnxGraphBuilder {
  return g
    .initializer('axis_2', BigInt64Array.from([2n]), [1])
    .initializer('axis_1', BigInt64Array.from([1n]), [1])
    .initializer('one', Float32Array.from([1]), []);
}

/**
 * Nodes from `feature_ids` / `feature_mask` to the ReLU hidden layer `h`: masked mean of the embedding rows
 * (an all-padding row gives the zero vector), then `w1`, `b1`. Needs addBagConstants' initializers.
 */
export function addBagHiddenLayer(g: OnnxGraphBuilder, table: string): OnnxGraphBuilder {
  return g
    .node('Gather', [table, 'feature_ids'], ['gathered'], {}, { name: 'gather' })
    .node('Unsqueeze', ['feature_mask', 'axis_2'], ['mask3'], {}, { name: 'mask_unsqueeze' })
    .node('Mul', ['gathered', 'mask3'], ['masked'], {}, { name: 'mask_mul' })
    .node('ReduceSum', ['masked', 'axis_1'], ['bag_sum'], { keepdims: attr.int(0) }, { name: 'bag_sum' })
    .node('ReduceSum', ['feature_mask', 'axis_1'], ['count'], { keepdims: attr.int(1) }, { name: 'count' })
    .node('Max', ['count', 'one'], ['count_safe'], {}, { name: 'count_safe' })
    .node('Div', ['bag_sum', 'count_safe'], ['bag'], {}, { name: 'bag_mean' })
    .node('MatMul', ['bag', 'w1'], ['z1_mm'], {}, { name: 'fc1' })
    .node('Add', ['z1_mm', 'b1'], ['z1'], {}, { name: 'fc1_bias' })
    .node('Relu', ['z1'], ['h'], {}, { name: 'relu' });
}

/**
 * The WideMLP graph over rows of hashed feature ids: inputs `feature_ids` int64 [rows, n] and `feature_mask`
 * float [rows, n], outputs `logits` (divided by `temperature`) and `probabilities` [rows, classes]. The caller
 * adds its metadata and serialises.
 */
export function wideMlpGraph(
  model: WideMlpModel,
  temperature: number,
  graph: { readonly name: string; readonly docString: string; readonly rows: string },
): OnnxGraphBuilder {
  const { buckets, embeddingDim: d, hiddenDim: hd, classes: c } = model;
  const g = new OnnxGraphBuilder({ name: graph.name, opset: 17, docString: graph.docString });
  g.input('feature_ids', 'int64', [graph.rows, 'n'])
    .input('feature_mask', 'float32', [graph.rows, 'n'])
    .output('logits', 'float32', [graph.rows, c])
    .output('probabilities', 'float32', [graph.rows, c])
    .initializer('embedding', model.embedding, [buckets, d])
    .initializer('w1', model.w1, [d, hd])
    .initializer('b1', model.b1, [hd])
    .initializer('w2', model.w2, [hd, c])
    .initializer('b2', model.b2, [c]);
  addBagConstants(g).initializer('temperature', Float32Array.from([temperature]), []);
  return addBagHiddenLayer(g, 'embedding')
    .node('MatMul', ['h', 'w2'], ['z2_mm'], {}, { name: 'fc2' })
    .node('Add', ['z2_mm', 'b2'], ['raw_logits'], {}, { name: 'fc2_bias' })
    .node('Div', ['raw_logits', 'temperature'], ['logits'], {}, { name: 'temperature_scale' })
    .node('Softmax', ['logits'], ['probabilities'], { axis: attr.int(-1) }, { name: 'softmax' });
}

/**
 * Serialises the model. Inputs: `feature_ids` int64 [batch, n] and `feature_mask` float [batch, n]
 * (1 = real feature, 0 = padding; an all-padding row gives the zero embedding, as an empty text does in
 * training). Outputs: `logits` (already divided by the temperature) and `probabilities` [batch, classes].
 */
export function exportWideMlpOnnx(model: WideMlpModel, metadata: WideMlpMetadata): Uint8Array {
  const { buckets, classes: c } = model;
  if (metadata.labels.length !== c) {
    throw new WideMlpMetadataError(`${metadata.labels.length} labels for a model with ${c} classes`);
  }
  if (!(metadata.temperature > 0)) throw new WideMlpMetadataError(`bad temperature ${metadata.temperature}`);
  if (metadata.featurizer.buckets !== buckets) {
    throw new WideMlpMetadataError(`featurizer has ${metadata.featurizer.buckets} buckets, model ${buckets}`);
  }
  return wideMlpGraph(model, metadata.temperature, {
    name: 'wide_mlp',
    docString: 'hashed n-gram WideMLP classifier',
    rows: 'batch',
  })
    .metadata(KEYS.kind, WIDE_MLP_KIND)
    .metadata(KEYS.version, String(WIDE_MLP_FORMAT_VERSION))
    .metadata(KEYS.labels, JSON.stringify(metadata.labels))
    .metadata(KEYS.featurizer, JSON.stringify(metadata.featurizer))
    .metadata(KEYS.temperature, String(metadata.temperature))
    .metadata(KEYS.seed, String(metadata.seed))
    .toBytes();
}
