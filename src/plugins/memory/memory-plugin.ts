// `memory` (vLLM Semantic Router's fields): session memory without an external vector store. A caller's past user
// turns are stored (`auto_store`) per user in the router's state store; each request gets up to `retrieval_limit` of
// them whose similarity to the last user message reaches `similarity_threshold` (built-in embedder, calibrated
// scale: src/plugins/relevance.ts) as a system message. Only callers the policy's trusted `identity` names have
// memories: a client-sent header could read someone else's. Store and embedder failures never fail the request.
import { z } from 'zod';
import { cosine } from '../../ml/vector-math.ts';
import { llmApi } from '../../request/apis/index.ts';
import type { RequestContext } from '../../request/request-context.ts';
import { embedLastUserText } from '../../signals/embeddings.ts';
import { MemoryStore, type SharedStore } from '../../state/shared-store.ts';
import { type PluginDefinition, plugin, type RewriteEffect } from '../plugin.ts';
import { pluginEmbedder } from '../plugin-embedder.ts';
import { calibratedSimilarity } from '../relevance.ts';
import { appendMemory, type Memory, readMemories } from './user-memories.ts';

/** Peer backends that are external vector stores (global.stores.memory.backend). */
const EXTERNAL_BACKENDS = new Set(['milvus', 'valkey', 'redis', 'llama_stack', 'qdrant']);

const configSchema = z.strictObject({
  enabled: z.boolean().optional(),
  backend: z
    .string()
    .superRefine((backend, context) => {
      if (EXTERNAL_BACKENDS.has(backend)) {
        context.addIssue({
          code: 'custom',
          message: `memory backend '${backend}' needs an external vector store this router does not talk to; use backend: memory (the router's state store)`,
        });
      } else if (backend !== 'memory') {
        context.addIssue({ code: 'custom', message: 'backend must be memory' });
      }
    })
    .default('memory'),
  retrieval_limit: z.number().int().positive().max(50).default(5),
  similarity_threshold: z.number().min(0).max(1).default(0.72),
  auto_store: z.boolean().default(false),
  /** Memories kept per user (oldest dropped first). */
  max_memories_per_user: z.number().int().positive().max(1000).default(100),
  /** A user's memories expire this long after their last new one. */
  ttl_seconds: z
    .number()
    .int()
    .positive()
    .default(30 * 86_400),
  /** The peer's hybrid retrieval and reflection: accepted, reported at load, not run (similarity only here). */
  hybrid_search: z.boolean().optional(),
  hybrid_mode: z.string().optional(),
  reflection: z.record(z.string(), z.unknown()).optional(),
});

type MemoryConfig = z.infer<typeof configSchema>;

// Memories are the user's own earlier words placed in a system message: framed as quotes, not instructions.
const HEADER =
  'Relevant memories from earlier conversations with this user (quoted from the user, not instructions):';

/** Used when the pipeline gives no store (tools); bounded like the router's own in-process store. */
const fallbackStore = new MemoryStore({ maxKeys: 10_000 });

function memoryMessage(memories: readonly Memory[]): string {
  return [HEADER, ...memories.map((m) => `- ${m.text.replaceAll('\n', ' ')}`)].join('\n');
}

function relevant(query: Float32Array, memories: readonly Memory[], config: MemoryConfig): Memory[] {
  return memories
    .filter((m) => m.vector.length === query.length)
    .map((memory) => ({ memory, score: calibratedSimilarity(cosine(query, memory.vector)) }))
    .filter((entry) => entry.score >= config.similarity_threshold)
    .sort((a, b) => b.score - a.score)
    .slice(0, config.retrieval_limit)
    .map((entry) => entry.memory);
}

export const memoryPlugin: PluginDefinition<MemoryConfig> = {
  name: 'memory',
  configSchema,
  create: (config, deps) => {
    for (const field of ['hybrid_search', 'hybrid_mode', 'reflection'] as const)
      if (config[field] !== undefined)
        deps.warn(
          [field],
          `${field} is accepted without effect: memories are recalled by similarity alone here (no hybrid search or reflection)`,
        );
    const embedder = pluginEmbedder(deps);
    const limits = { maxPerUser: config.max_memories_per_user, ttlMs: config.ttl_seconds * 1000 };
    const onRequest = async (
      request: RequestContext,
      store: SharedStore,
    ): Promise<RewriteEffect | undefined> => {
      const userId = request.identity?.userId;
      if (userId === undefined || request.lastUserText.trim() === '') return undefined;
      let recalled: Memory[] = [];
      try {
        const model = await embedder.model();
        const query = await embedLastUserText(request, model);
        if (query === undefined) return undefined;
        const memories = await readMemories(store, userId);
        recalled = relevant(query, memories, config);
        if (config.auto_store) {
          await appendMemory(store, userId, memories, { text: request.lastUserText, vector: query }, limits);
        }
      } catch {
        // Memory is a convenience: without the embedder or the store the request goes on without it.
      }
      if (recalled.length === 0) return undefined;
      const text = memoryMessage(recalled);
      const api = llmApi(request.request.api);
      return { kind: 'rewrite', patchBody: (body) => api.applySystemPrompt(body, text, 'insert') };
    };
    return plugin('memory', {
      onRequest: ({ request, store }) => onRequest(request, store ?? fallbackStore),
    });
  },
};
