// The metadata an exported WideMLP embedding model carries (featurizer, width, seed), read from its ONNX bytes.
import { FORMAT_VERSION_KEY, MODEL_KIND_KEY, readModelMetadata } from '../model-metadata.ts';
import { type FeaturizerConfig, validateFeaturizerConfig } from '../wide-mlp/features.ts';

/** Value of the `semantic_router.model_kind` metadata entry of an exported embedding model. */
export const EMBEDDING_KIND = 'wide-mlp-embedding';
export const EMBEDDING_FORMAT_VERSION = 1;

/** Name of the graph output: float32 [batch, dim], each row of unit L2 norm (or all zeros). */
export const EMBEDDING_OUTPUT = 'embedding';

/** What inference needs besides the weights; stored as ONNX metadata_props. */
export interface EmbeddingMetadata {
  readonly featurizer: FeaturizerConfig;
  /** Embedding width (the WideMLP's hidden size). */
  readonly dim: number;
  /** Seed the weights were trained with. */
  readonly seed: number;
}

export const EMBEDDING_METADATA_KEYS = {
  kind: MODEL_KIND_KEY,
  version: FORMAT_VERSION_KEY,
  featurizer: 'featurizer',
  dim: 'embedding_dim',
  seed: 'training_seed',
} as const;

/** An ONNX file that is not an embedding model written by `exportEmbeddingOnnx`, or with broken metadata. */
export class EmbeddingMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddingMetadataError';
  }
}

/** Reads and checks the metadata of an exported embedding model from its ONNX bytes. */
export function loadEmbeddingMetadata(bytes: Uint8Array): EmbeddingMetadata {
  const get = readModelMetadata(
    bytes,
    { kind: EMBEDDING_KIND, version: EMBEDDING_FORMAT_VERSION },
    (message) => new EmbeddingMetadataError(message),
  );
  let featurizer: FeaturizerConfig;
  try {
    featurizer = validateFeaturizerConfig(JSON.parse(get(EMBEDDING_METADATA_KEYS.featurizer)));
  } catch (error) {
    throw new EmbeddingMetadataError(`bad featurizer metadata: ${(error as Error).message}`);
  }
  const dim = Number(get(EMBEDDING_METADATA_KEYS.dim));
  if (!Number.isInteger(dim) || dim < 1)
    throw new EmbeddingMetadataError(`bad embedding_dim '${get(EMBEDDING_METADATA_KEYS.dim)}'`);
  const seed = Number(get(EMBEDDING_METADATA_KEYS.seed));
  if (!Number.isInteger(seed))
    throw new EmbeddingMetadataError(`bad training seed '${get(EMBEDDING_METADATA_KEYS.seed)}'`);
  return { featurizer, dim, seed };
}
