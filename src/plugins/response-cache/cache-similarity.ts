// The similarity the semantic lookup uses: the built-in lexical model (loaded once per process and models
// directory), its calibration onto the peer's threshold scale, and that scale's thresholds as raw cosines.
import path from 'node:path';
import { loadEmbedder, type TextEmbeddingModel } from '../../ml/embedding/text-embedder.ts';
import { BUILTIN_MODELS_DIR, defaultSessionPool, MODEL_FILE_NAME } from '../../ml/model-store.ts';
import type { PluginDeps } from '../plugin-deps.ts';

export const LEXICAL_MODEL_DIR = 'lexical';

const lexicalModels = new Map<string, Promise<TextEmbeddingModel>>();

/** A loader of the lexical model; a failed load is retried on the next call. */
export function lexicalEmbedder(
  deps: Pick<PluginDeps, 'sessionPool' | 'builtinModelsDir'>,
): () => Promise<TextEmbeddingModel> {
  const file = path.join(deps.builtinModelsDir ?? BUILTIN_MODELS_DIR, LEXICAL_MODEL_DIR, MODEL_FILE_NAME);
  return () => {
    let pending = lexicalModels.get(file);
    if (!pending) {
      pending = loadEmbedder(deps.sessionPool ?? defaultSessionPool(), file);
      pending.catch(() => lexicalModels.delete(file));
      lexicalModels.set(file, pending);
    }
    return pending;
  };
}

export function calibrated(model: TextEmbeddingModel, raw: number): number {
  return model.calibrate ? model.calibrate(raw) : raw;
}

const rawThresholds = new WeakMap<TextEmbeddingModel, Map<number, number>>();

/** The smallest raw cosine the model calibrates to at least `threshold` (calibrations are monotone). */
export function rawThreshold(model: TextEmbeddingModel, threshold: number): number {
  let byThreshold = rawThresholds.get(model);
  if (!byThreshold) {
    byThreshold = new Map();
    rawThresholds.set(model, byThreshold);
  }
  const known = byThreshold.get(threshold);
  if (known !== undefined) return known;
  let low = -1;
  let high = 1;
  for (let i = 0; i < 40; i++) {
    const mid = (low + high) / 2;
    if (calibrated(model, mid) >= threshold) high = mid;
    else low = mid;
  }
  // A hair lower: the index prunes on it, the calibrated comparison decides.
  const raw = low - 1e-6;
  byThreshold.set(threshold, raw);
  return raw;
}
