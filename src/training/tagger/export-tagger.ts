// Exports a WideMLP trained on token features as an ONNX token tagger (one row per token) and reads it back.
import { FORMAT_VERSION_KEY, MODEL_KIND_KEY, readModelMetadata } from '../../ml/model-metadata.ts';
import { type TaggerFeaturizerConfig, validateTaggerFeaturizer } from '../../ml/tagger/token-features.ts';
import { wideMlpGraph } from '../trainer/export-onnx.ts';
import type { WideMlpModel } from '../trainer/wide-mlp.ts';

/** Value of `semantic_router.model_kind` of an exported token tagger. */
export const TOKEN_TAGGER_KIND = 'wide-mlp-token-tagger';
export const TOKEN_TAGGER_FORMAT_VERSION = 1;

/** What inference needs besides the weights; stored as ONNX metadata_props. */
export interface TokenTaggerMetadata {
  /** Token labels, index = output column; index 0 is `O` (outside every entity). */
  readonly labels: readonly string[];
  readonly featurizer: TaggerFeaturizerConfig;
  /** Temperature already applied inside the graph. */
  readonly temperature: number;
  readonly seed: number;
}

export class TokenTaggerMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenTaggerMetadataError';
  }
}

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

/** Reads and checks the metadata of an exported tagger from its ONNX bytes. */
export function loadTokenTaggerMetadata(bytes: Uint8Array): TokenTaggerMetadata {
  const fail = (message: string) => new TokenTaggerMetadataError(message);
  const get = readModelMetadata(
    bytes,
    { kind: TOKEN_TAGGER_KIND, version: TOKEN_TAGGER_FORMAT_VERSION },
    fail,
  );
  let labels: unknown;
  let featurizer: TaggerFeaturizerConfig;
  try {
    labels = JSON.parse(get('labels'));
    featurizer = validateTaggerFeaturizer(JSON.parse(get('featurizer')));
  } catch (error) {
    throw fail((error as Error).message);
  }
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string')) {
    throw fail('metadata labels must be a JSON array of at least two strings');
  }
  const temperature = Number(get('temperature'));
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw fail(`bad temperature '${get('temperature')}'`);
  const seed = Number(get('training_seed'));
  if (!Number.isInteger(seed)) throw fail(`bad training seed '${get('training_seed')}'`);
  return { labels: labels as string[], featurizer, temperature, seed };
}
