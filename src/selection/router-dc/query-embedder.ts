// The query encoder of RouterDC: the built-in text embedder, loaded once per process on first use and shared by
// every policy generation (its session lives in the process-wide pool).
import path from 'node:path';
import { loadEmbedder, type TextEmbeddingModel } from '../../ml/embedding/text-embedder.ts';
import { BUILTIN_MODELS_DIR, defaultSessionPool, MODEL_FILE_NAME } from '../../ml/model-store.ts';

let shared: Promise<TextEmbeddingModel> | undefined;

/** The built-in embedder; a failed load is retried on the next call. */
export function builtInQueryEmbedder(): Promise<TextEmbeddingModel> {
  if (shared === undefined) {
    const loading = loadEmbedder(
      defaultSessionPool(),
      path.join(BUILTIN_MODELS_DIR, 'embedding', MODEL_FILE_NAME),
    );
    loading.catch(() => {
      if (shared === loading) shared = undefined;
    });
    shared = loading;
  }
  return shared;
}
