// Exports a WideMLP trained on token features as an ONNX token tagger (one row per token);
// src/ml/tagger/tagger-metadata.ts reads it back.
import { FORMAT_VERSION_KEY, MODEL_KIND_KEY } from '../../ml/model-metadata.ts';
import {
  TOKEN_TAGGER_FORMAT_VERSION,
  TOKEN_TAGGER_KIND,
  type TokenTaggerMetadata,
  TokenTaggerMetadataError,
} from '../../ml/tagger/tagger-metadata.ts';
import { wideMlpGraph } from '../trainer/export-onnx.ts';
import type { WideMlpModel } from '../trainer/wide-mlp.ts';

/**
 * Serialises the tagger. Inputs `feature_ids` int64 [tokens, n] and `feature_mask` float [tokens, n] (the
 * features of one token per row); outputs `logits` (divided by the temperature) and `probabilities` [tokens, c].
 */
export function exportTokenTaggerOnnx(model: WideMlpModel, metadata: TokenTaggerMetadata): Uint8Array {
  const { buckets, classes: c } = model;
  if (metadata.labels.length !== c) {
    throw new TokenTaggerMetadataError(`${metadata.labels.length} labels for a model with ${c} classes`);
  }
  if (metadata.featurizer.buckets !== buckets) {
    throw new TokenTaggerMetadataError(
      `featurizer has ${metadata.featurizer.buckets} buckets, model ${buckets}`,
    );
  }
  return wideMlpGraph(model, metadata.temperature, {
    name: 'token_tagger',
    docString: 'hashed-cue WideMLP token tagger',
    rows: 'tokens',
  })
    .metadata(MODEL_KIND_KEY, TOKEN_TAGGER_KIND)
    .metadata(FORMAT_VERSION_KEY, String(TOKEN_TAGGER_FORMAT_VERSION))
    .metadata('labels', JSON.stringify(metadata.labels))
    .metadata('featurizer', JSON.stringify(metadata.featurizer))
    .metadata('temperature', String(metadata.temperature))
    .metadata('training_seed', String(metadata.seed))
    .toBytes();
}
