// The metadata an exported token tagger carries (labels, featurizer, temperature, seed), read from its ONNX bytes.
import { readModelMetadata } from '../model-metadata.ts';
import { type TaggerFeaturizerConfig, validateTaggerFeaturizer } from './token-features.ts';

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
