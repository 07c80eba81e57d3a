// The built-in embedding model for request plugins (tool relevance, session memory). Loaded on first use and kept
// for the process (one per session pool): a plugin's factory is synchronous and a policy reload must not pay for
// a new session each time.
import path from 'node:path';
import { loadEmbedder, type TextEmbeddingModel } from '../ml/embedding/text-embedder.ts';
import { BUILTIN_MODELS_DIR, defaultSessionPool, MODEL_FILE_NAME } from '../ml/model-store.ts';
import type { OnnxSessionPool } from '../ml/onnx-session-pool.ts';
import { cosine } from '../ml/vector-math.ts';
import type { RequestContext } from '../request/request-context.ts';
import { BUILTIN_EMBEDDING_MODEL, embedLastUserText } from '../signals/embeddings.ts';
import type { PluginDeps } from './plugin-deps.ts';

const loaded = new WeakMap<OnnxSessionPool, Map<string, Promise<TextEmbeddingModel>>>();

/** A lazily loaded built-in embedder; a failed load is retried on the next call. */
export interface PluginEmbedder {
  model(): Promise<TextEmbeddingModel>;
}

export function pluginEmbedder(deps: Pick<PluginDeps, 'sessionPool' | 'builtinModelsDir'>): PluginEmbedder {
  const file = path.join(
    deps.builtinModelsDir ?? BUILTIN_MODELS_DIR,
    BUILTIN_EMBEDDING_MODEL,
    MODEL_FILE_NAME,
  );
  return {
    model: () => {
      const pool = deps.sessionPool ?? defaultSessionPool();
      let byFile = loaded.get(pool);
      if (!byFile) {
        byFile = new Map();
        loaded.set(pool, byFile);
      }
      let pending = byFile.get(file);
      if (!pending) {
        pending = loadEmbedder(pool, file);
        const cache = byFile;
        pending.catch(() => cache.delete(file));
        byFile.set(file, pending);
      }
      return pending;
    },
  };
}

/** Candidate texts (tool descriptions, database entries) recur on every request: their vectors are kept. */
const CANDIDATE_CACHE_SIZE = 4096;
const candidateVectors = new WeakMap<TextEmbeddingModel, Map<string, Float32Array>>();

/** Embeddings of `texts`, from a bounded per-model cache (least recently used dropped first). */
export async function embedCandidateTexts(
  model: TextEmbeddingModel,
  texts: readonly string[],
): Promise<Float32Array[]> {
  let cache = candidateVectors.get(model);
  if (!cache) {
    cache = new Map();
    candidateVectors.set(model, cache);
  }
  const missing = [...new Set(texts.filter((text) => !cache.has(text)))];
  if (missing.length > 0) {
    const vectors = await model.embed(missing);
    missing.forEach((text, index) => {
      const vector = vectors[index];
      if (vector !== undefined) cache.set(text, vector);
    });
  }
  return texts.map((text) => {
    const vector = cache.get(text) ?? new Float32Array(model.dim);
    cache.delete(text);
    cache.set(text, vector);
    return vector;
  });
}

function trimCache(model: TextEmbeddingModel): void {
  const cache = candidateVectors.get(model);
  if (!cache) return;
  for (const key of cache.keys()) {
    if (cache.size <= CANDIDATE_CACHE_SIZE) break;
    cache.delete(key);
  }
}

/** Cosine similarity of the request's last user message to each text (undefined when the request has no user text). */
export async function similarityToLastUser(
  embedder: PluginEmbedder,
  request: RequestContext,
  texts: readonly string[],
): Promise<number[] | undefined> {
  const model = await embedder.model();
  const query = await embedLastUserText(request, model);
  if (query === undefined) return undefined;
  const vectors = await embedCandidateTexts(model, texts);
  trimCache(model);
  return vectors.map((v) => cosine(query, v));
}
