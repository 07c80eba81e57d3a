// `response_cache`: answers a request from a stored answer when an identical one (exact) or a paraphrase of its
// last user turn (semantic, above the similarity threshold) was answered before in the same scope, before any
// model or pool is chosen; stores complete 2xx answers, JSON or whole SSE streams, as they pass on the way back.
import type { TextEmbeddingModel } from '../../ml/embedding/text-embedder.ts';
import type { RequestContext } from '../../request/request-context.ts';
import type { SharedStore } from '../../state/shared-store.ts';
import {
  type DecisionPlugin,
  type PluginDefinition,
  plugin,
  type RequestPhaseContext,
  type ResponsePhaseContext,
} from '../plugin.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import {
  DEFAULT_SIMILARITY_THRESHOLD,
  type ResponseCacheConfig,
  responseCacheConfigSchema,
} from './cache-config.ts';
import { type CacheKey, cacheKeyOf } from './cache-key.ts';
import { calibrated, lexicalEmbedder, rawThreshold } from './cache-similarity.ts';
import {
  answerBytes,
  answerFromJson,
  answerFromSse,
  type CachedAnswer,
  replayJson,
  replaySse,
} from './cached-answer.ts';
import type { CacheEntry, MemoryCacheStore } from './memory-cache-store.ts';
import { requestControlsOf } from './request-controls.ts';
import { RESPONSE_CACHE, type ResponseCacheRegistry } from './response-cache-registry.ts';
import { readSharedEntry, writeSharedEntry } from './shared-entries.ts';
import { nearestSharedVector, writeSharedVector } from './shared-vectors.ts';
import { type SparseVector, sparseBytes, toSparse } from './sparse-vector.ts';

/** Seconds since the answer was stored, on every cached answer. */
export const CACHE_AGE_HEADER = 'age';
/** `exact` or `semantic;similarity=0.963`: how the cached answer was found. */
export const CACHE_LOOKUP_HEADER = 'x-router-cache';

/** Span attributes of the plugin's span: the lookup's outcome and the best similarity it found. */
export const SPAN_LOOKUP = 'router.cache.lookup';
export const SPAN_SIMILARITY = 'router.cache.similarity';

/** What a miss keeps until its answer has been read: where to store it, and the answer's bytes so far. */
interface PendingStore {
  readonly key: CacheKey;
  /** The state store to share the answer through (backend: state_store). */
  readonly shared: SharedStore | undefined;
  readonly vector: SparseVector | undefined;
  /** The last user turn, when its vector is still to be computed (at store time: the lookup did not need it). */
  readonly unembedded: string | undefined;
  readonly ttlSeconds: number;
  chunks: Uint8Array[];
  bytes: number;
  refused: boolean;
}

export interface ResponseCacheOptions {
  readonly registry?: ResponseCacheRegistry;
  readonly now?: () => number;
  readonly embedder?: () => Promise<TextEmbeddingModel>;
}

function includesUsage(request: RequestContext): boolean {
  const options = request.request.body.stream_options;
  return (
    typeof options === 'object' &&
    options !== null &&
    (options as { include_usage?: unknown }).include_usage === true
  );
}

function isSuccess(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

export function createResponseCachePlugin(
  config: ResponseCacheConfig,
  deps: PluginDeps,
  options: ResponseCacheOptions = {},
): DecisionPlugin {
  const registry = options.registry ?? RESPONSE_CACHE;
  const now = options.now ?? Date.now;
  const embedder = options.embedder ?? lexicalEmbedder(deps);
  const store: MemoryCacheStore = registry.store({
    maxEntries: config.max_entries,
    maxBytes: config.max_bytes,
  });
  const semantic = config.mode === 'exact_then_semantic';
  const threshold = config.semantic.similarity_threshold;
  const pending = new WeakMap<RequestContext, PendingStore>();

  function respond(entry: CacheEntry, request: RequestContext, lookup: string) {
    const stream = request.request.stream;
    const ageSeconds = Math.max(0, Math.floor((now() - entry.storedAt) / 1000));
    return {
      kind: 'respond' as const,
      responsePath: 'cache' as const,
      status: 200,
      message: '',
      answer: {
        contentType: stream ? 'text/event-stream' : 'application/json',
        body: stream ? replaySse(entry.answer, includesUsage(request)) : replayJson(entry.answer),
        headers: [
          ...(stream ? [['cache-control', 'no-cache'] as const] : []),
          [CACHE_AGE_HEADER, String(ageSeconds)] as const,
          [CACHE_LOOKUP_HEADER, lookup] as const,
        ],
      },
    };
  }

  const sharedError = () => {
    registry.counters.sharedErrors++;
  };
  /** Counted (GET /cache `embedderErrors`); the lookup goes on with exact keys only. */
  const embedderError = (_error: unknown): undefined => {
    registry.counters.embedderErrors++;
    return undefined;
  };

  /**
   * A paraphrase another replica stored: the bucket's shared vectors (one round trip), then the winner's entry
   * (a second), kept locally with its vector so the next lookups find it here.
   */
  async function sharedSemantic(
    shared: SharedStore,
    key: CacheKey,
    model: TextEmbeddingModel,
    dense: Float32Array,
    at: number,
  ): Promise<{ entry: CacheEntry; similarity: number } | undefined> {
    const minRaw = rawThreshold(model, threshold);
    const hit = await nearestSharedVector(shared, key, dense, minRaw, at, sharedError);
    const similarity = hit ? calibrated(model, hit.raw) : undefined;
    if (!hit || similarity === undefined || similarity < threshold) return undefined;
    const remote = await readSharedEntry(shared, key.scope, hit.exact, at, sharedError);
    if (!remote) return undefined;
    const entry: CacheEntry = {
      ...remote,
      exact: hit.exact,
      bucket: key.bucket,
      vector: hit.vector,
      bytes: answerBytes(remote.answer) + sparseBytes(hit.vector) + 2 * hit.exact.length,
    };
    store.put(entry, at);
    return { entry, similarity };
  }

  /** The text's embedding with its model; undefined (counted) when the model cannot load or run. */
  async function embed(
    text: string,
  ): Promise<{ model: TextEmbeddingModel; dense: Float32Array } | undefined> {
    // The cache never fails a request: without the embedding model it works on exact keys alone.
    const model = await embedder().catch(embedderError);
    const [dense] = model ? await model.embed([text]).catch((error: unknown) => [embedderError(error)]) : [];
    return model && dense ? { model, dense } : undefined;
  }

  async function onRequest({ request, decision, note, store: stateStore }: RequestPhaseContext) {
    const shared = config.backend === 'state_store' ? stateStore : undefined;
    if (!config.enabled) return undefined;
    const started = performance.now();
    const controls = requestControlsOf(request.headers, config);
    const key = cacheKeyOf(request, decision.name, config);
    if (!key || !controls.store) {
      registry.countLookup('skipped', 0);
      note?.({ [SPAN_LOOKUP]: 'skipped' });
      return undefined;
    }
    const at = now();
    if (shared) registry.followFlushes(shared, at);
    const fresh = (entry: CacheEntry) =>
      controls.maxAgeSeconds === undefined || at - entry.storedAt <= controls.maxAgeSeconds * 1000;
    // Every entry of an exact key is in that key's bucket: without entries there, neither key is needed yet.
    const bucketHasEntries = store.size > 0 && store.hasEntries(key.bucket);
    if (controls.lookup) {
      const exact = shared || bucketHasEntries ? store.getExact(key.exact, at) : undefined;
      if (exact && fresh(exact)) {
        registry.countLookup('exact_hit', (performance.now() - started) / 1000);
        note?.({ [SPAN_LOOKUP]: 'exact_hit' });
        return respond(exact, request, 'exact');
      }
      const remote =
        exact || !shared ? undefined : await readSharedEntry(shared, key.scope, key.exact, at, sharedError);
      if (remote) {
        const local: CacheEntry = {
          ...remote,
          exact: key.exact,
          bucket: key.bucket,
          vector: undefined,
          bytes: answerBytes(remote.answer) + 2 * key.exact.length,
        };
        store.put(local, at);
        if (fresh(local)) {
          registry.countLookup('exact_hit', (performance.now() - started) / 1000);
          note?.({ [SPAN_LOOKUP]: 'exact_hit' });
          return respond(local, request, 'exact');
        }
      }
    }
    let vector: SparseVector | undefined;
    const queryText =
      semantic && key.queryText !== undefined && key.queryText.trim() !== '' ? key.queryText : undefined;
    // Embedding is most of a lookup's cost: it is done here only when there are vectors to compare against (this
    // bucket's, or another replica's), otherwise when the answer is stored.
    const compare =
      queryText !== undefined &&
      controls.lookup &&
      (shared || (bucketHasEntries && store.hasVectors(key.bucket)));
    if (compare) {
      const embedded = await embed(queryText);
      if (embedded) {
        const { model, dense } = embedded;
        vector = toSparse(dense);
        const nearest = store.nearest(key.bucket, dense, rawThreshold(model, threshold), at);
        const similarity = nearest ? calibrated(model, nearest.raw) : undefined;
        if (similarity !== undefined) note?.({ [SPAN_SIMILARITY]: Number(similarity.toFixed(4)) });
        const local =
          nearest && similarity !== undefined && similarity >= threshold && fresh(nearest.entry)
            ? { entry: nearest.entry, similarity }
            : undefined;
        const found = local ?? (shared ? await sharedSemantic(shared, key, model, dense, at) : undefined);
        if (found && fresh(found.entry)) {
          const rounded = Number(found.similarity.toFixed(4));
          registry.countLookup('semantic_hit', (performance.now() - started) / 1000);
          note?.({ [SPAN_LOOKUP]: 'semantic_hit', [SPAN_SIMILARITY]: rounded });
          return respond(found.entry, request, `semantic;similarity=${found.similarity.toFixed(3)}`);
        }
      }
    }
    const outcome = controls.lookup ? 'miss' : 'skipped';
    registry.countLookup(outcome, (performance.now() - started) / 1000);
    note?.({ [SPAN_LOOKUP]: outcome });
    pending.set(request, {
      key,
      shared,
      vector,
      unembedded: compare ? undefined : queryText,
      ttlSeconds: controls.ttlSeconds,
      chunks: [],
      bytes: 0,
      refused: false,
    });
    return undefined;
  }

  function onResponseBody(context: ResponsePhaseContext, chunk: Uint8Array): undefined {
    const entry = pending.get(context.request);
    if (!entry || entry.refused) return undefined;
    if (!isSuccess(context.response.status) || entry.bytes + chunk.length > config.max_entry_bytes) {
      entry.refused = true;
      entry.chunks = [];
      return undefined;
    }
    // Envoy may reuse the chunk's buffer: keep a copy.
    entry.chunks.push(Uint8Array.from(chunk));
    entry.bytes += chunk.length;
    return undefined;
  }

  async function onStreamEnd(context: ResponsePhaseContext): Promise<void> {
    const entry = pending.get(context.request);
    if (!entry) return;
    pending.delete(context.request);
    const { response } = context;
    const read: CachedAnswer | undefined =
      entry.refused || !response.complete || response.blocked || !isSuccess(response.status)
        ? undefined
        : readAnswer(Buffer.concat(entry.chunks), response.streaming);
    const answer = read && { ...read, model: read.model || context.model.name };
    if (!answer) {
      registry.counters.rejectedAnswers++;
      return;
    }
    const embedded = entry.unembedded === undefined ? undefined : await embed(entry.unembedded);
    const vector = entry.vector ?? (embedded && toSparse(embedded.dense));
    const at = now();
    const stored = store.put(
      {
        exact: entry.key.exact,
        bucket: entry.key.bucket,
        scope: entry.key.scope,
        answer,
        vector,
        bytes: answerBytes(answer) + (vector ? sparseBytes(vector) : 0) + 2 * entry.key.exact.length,
        storedAt: at,
        expiresAt: at + entry.ttlSeconds * 1000,
      },
      at,
    );
    const lifetime = { storedAt: at, expiresAt: at + entry.ttlSeconds * 1000 };
    const { shared, key } = entry;
    if (shared)
      void writeSharedEntry(shared, key.exact, { scope: key.scope, answer, ...lifetime }, sharedError).then(
        () =>
          vector && writeSharedVector(shared, key, vector, lifetime, config.max_shared_vectors, sharedError),
      );
    if (stored) registry.counters.stores++;
    else registry.counters.rejectedAnswers++;
  }

  return plugin('response_cache', { onRequest, onResponseBody, onStreamEnd });
}

function readAnswer(body: Uint8Array, streaming: boolean): CachedAnswer | undefined {
  return streaming ? answerFromSse(body) : answerFromJson(body);
}

export const responseCachePlugin: PluginDefinition<ResponseCacheConfig> = {
  name: 'response_cache',
  configSchema: responseCacheConfigSchema,
  create: (config, deps) => {
    const mode = config.personalized?.mode;
    if (mode !== undefined && mode !== 'disabled')
      deps.error(
        ['personalized', 'mode'],
        `personalized mode '${mode}' is not supported`,
        "only 'disabled': scope the cache per user instead (scope: user)",
      );
    const threshold = config.semantic.similarity_threshold;
    if (config.mode === 'exact_then_semantic' && threshold < DEFAULT_SIMILARITY_THRESHOLD)
      deps.warn(
        ['semantic', 'similarity_threshold'],
        `similarity threshold ${threshold} is below ${DEFAULT_SIMILARITY_THRESHOLD}, where the built-in lexical model's false hits stay within 1 %`,
        'see the measured hit and false-hit rates per threshold in docs/cache.md',
      );
    return createResponseCachePlugin(config, deps);
  },
};

/** The peer's older name for the same plugin. */
export const semanticCachePlugin: PluginDefinition<ResponseCacheConfig> = {
  ...responseCachePlugin,
  name: 'semantic-cache',
};
