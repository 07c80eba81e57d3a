// The `response_cache` plugin's configuration, in vLLM Semantic Router's field names where it has them
// (fragments/plugin/response-cache/*.yaml) and this router's own for the bounds and the scope headers.
import { z } from 'zod';

/**
 * Calibrated similarity (the lexical model's scale, the peer's threshold scale) at which a paraphrase is served
 * from the cache. Chosen with bench/cache-quality.ts: the lowest threshold whose false-hit rate stays ≤ 1 % on
 * SICK and CLINC150 pairs (docs/cache.md has the table).
 */
export const DEFAULT_SIMILARITY_THRESHOLD = 0.99;

export const REQUEST_CONTROLS = ['no-cache', 'no-store', 'bypass', 'max-age', 'ttl'] as const;
export type RequestControlName = (typeof REQUEST_CONTROLS)[number];

const headerName = z
  .string()
  .min(1)
  .transform((name) => name.toLowerCase());

export const responseCacheConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** `exact`: identical requests only; `exact_then_semantic`: then the nearest paraphrase above the threshold. */
    mode: z.enum(['exact', 'exact_then_semantic']).default('exact_then_semantic'),
    /** Who shares entries: everyone, callers with the same tenant header, or the same user. */
    scope: z.enum(['global', 'tenant', 'user']).default('global'),
    scope_headers: z
      .object({ tenant: headerName.default('x-tenant-id'), user: headerName.default('x-user-id') })
      .strict()
      .prefault({}),
    semantic: z
      .object({ similarity_threshold: z.number().min(0).max(1).default(DEFAULT_SIMILARITY_THRESHOLD) })
      .loose()
      .prefault({}),
    ttl_seconds: z.number().int().positive().default(3600),
    /** Conversations with earlier user or assistant turns are cached only when true (the whole history is keyed). */
    multi_turn: z.boolean().default(false),
    /** Bounds of this plugin's in-memory store (plugins with the same bounds share one store). */
    max_entries: z.number().int().positive().default(10_000),
    max_bytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024),
    /** Answers larger than this are not stored. */
    max_entry_bytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    request_controls: z
      .object({
        enabled: z.boolean().default(true),
        /** Read besides the standard `cache-control`. */
        header: headerName.default('x-vsr-cache-control'),
        allowed: z.array(z.enum(REQUEST_CONTROLS)).default([...REQUEST_CONTROLS]),
        max_ttl_seconds: z.number().int().positive().optional(),
      })
      .loose()
      .prefault({}),
    /**
     * `memory`: this process only. `state_store`: entries and their vectors also in the policy's state store (Redis
     * when `state_store.backend` is redis), so replicas serve each other's answers, exact and semantic.
     */
    backend: z.enum(['memory', 'state_store']).default('memory'),
    /**
     * With `backend: state_store`: how many of a bucket's most recent vectors the state store keeps for other
     * replicas' semantic lookups (each such lookup reads them all in one round trip).
     */
    max_shared_vectors: z.number().int().positive().max(100_000).default(512),
    personalized: z.object({ mode: z.string() }).loose().optional(),
  })
  .loose();

export type ResponseCacheConfig = z.infer<typeof responseCacheConfigSchema>;
