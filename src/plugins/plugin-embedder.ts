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

/** Cosine similarity of the request's last user message to each text (empty when the request has no user text). */
export async function similarityToLastUser(
  embedder: PluginEmbedder,
  request: RequestContext,
  texts: readonly string[],
): Promise<number[] | undefined> {
  const model = await embedder.model();
  const query = await embedLastUserText(request, model);
  if (query === undefined) return undefined;
  const vectors = await model.embed(texts);
  return vectors.map((v) => cosine(query, v));
}
