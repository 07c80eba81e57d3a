// The metadata an exported WideMLP classifier carries (labels, featurizer, temperature, seed), read from its ONNX bytes.
import { FORMAT_VERSION_KEY, MODEL_KIND_KEY, readModelMetadata } from '../model-metadata.ts';
import { type FeaturizerConfig, validateFeaturizerConfig } from './features.ts';

/** Value of the `semantic_router.model_kind` metadata entry of an exported classifier. */
export const WIDE_MLP_KIND = 'wide-mlp-classifier';
export const WIDE_MLP_FORMAT_VERSION = 1;

/** What inference needs besides the weights; stored as ONNX metadata_props. */
export interface WideMlpMetadata {
  /** Class names, index = output column. */
  readonly labels: readonly string[];
  readonly featurizer: FeaturizerConfig;
  /** Temperature already applied inside the graph (`logits` output = raw logits / temperature). */
  readonly temperature: number;
  /** Seed the weights were trained with. */
  readonly seed: number;
}

export const WIDE_MLP_METADATA_KEYS = {
  kind: MODEL_KIND_KEY,
  version: FORMAT_VERSION_KEY,
  labels: 'labels',
  featurizer: 'featurizer',
  temperature: 'temperature',
  seed: 'training_seed',
} as const;

/** An ONNX file that is not a classifier written by `exportWideMlpOnnx`, or with broken metadata. */
export class WideMlpMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WideMlpMetadataError';
  }
}

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WideMlpMetadataError(`metadata '${key}' is not JSON: ${(error as Error).message}`);
  }
}

/** Reads and checks the metadata of an exported classifier from its ONNX bytes. */
export function loadWideMlpMetadata(bytes: Uint8Array): WideMlpMetadata {
  const get = readModelMetadata(
    bytes,
    { kind: WIDE_MLP_KIND, version: WIDE_MLP_FORMAT_VERSION },
    (message) => new WideMlpMetadataError(message),
  );
  const labels = parseJson(WIDE_MLP_METADATA_KEYS.labels, get(WIDE_MLP_METADATA_KEYS.labels));
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string')) {
    throw new WideMlpMetadataError('metadata labels must be a non-empty JSON array of strings');
  }
  let featurizer: FeaturizerConfig;
  try {
    featurizer = validateFeaturizerConfig(
      parseJson(WIDE_MLP_METADATA_KEYS.featurizer, get(WIDE_MLP_METADATA_KEYS.featurizer)),
    );
  } catch (error) {
    throw new WideMlpMetadataError((error as Error).message);
  }
  const temperature = Number(get(WIDE_MLP_METADATA_KEYS.temperature));
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new WideMlpMetadataError(`bad temperature '${get(WIDE_MLP_METADATA_KEYS.temperature)}'`);
  }
  const seed = Number(get(WIDE_MLP_METADATA_KEYS.seed));
  if (!Number.isInteger(seed))
    throw new WideMlpMetadataError(`bad training seed '${get(WIDE_MLP_METADATA_KEYS.seed)}'`);
  return { labels: labels as string[], featurizer, temperature, seed };
}
