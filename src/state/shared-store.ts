// State that replicas of the router share (bandit and Elo figures, session affinity): an in-process store, or a
// Redis-backed one (src/state/redis-store.ts) so every replica learns from every answer. Reads and writes are
// asynchronous and may fail: callers keep serving on a failure (see each caller's fallback).

import type { RespValue } from './resp-client.ts';

export interface SharedStore {
  /** `memory`: this process only; `redis`: shared by the replicas that use the same Redis and key prefix. */
  readonly kind: 'memory' | 'redis';
  /** Whether the store currently answers (a Redis store that lost its connection says false until it is back). */
  readonly healthy: boolean;
  get(key: string): Promise<string | undefined>;
  /** Sets a value; `ttlMs` > 0 makes it expire. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Adds each delta to the numeric field of the hash at `key` (atomically per field on Redis). */
  incrementFields(key: string, deltas: Readonly<Record<string, number>>): Promise<void>;
  /** The numeric fields of the hash at `key` ({} when absent). */
  readFields(key: string): Promise<Record<string, number>>;
  /**
   * Runs a Lua script atomically (Redis EVAL); keys get the store's prefix. Only Redis-backed stores have it, and it
   * rejects while Redis is away (the caller serves from its own local state).
   */
  evalScript?(
    script: string,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<RespValue>;
  close(): Promise<void>;
}

interface Entry {
  value: string;
  expiresAt: number;
}

/** The default store: a map in this process, bounded so per-session keys cannot grow without end. */
export class MemoryStore implements SharedStore {
  readonly kind = 'memory';
  readonly healthy = true;
  readonly #values = new Map<string, Entry>();
  readonly #hashes = new Map<string, Record<string, number>>();
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(options: { maxKeys?: number; now?: () => number } = {}) {
    this.#maxKeys = options.maxKeys ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.#values.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#values.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async set(key: string, value: string, ttlMs = 0): Promise<void> {
    this.#values.delete(key);
    // Oldest-inserted first: Map iteration order is insertion order, so re-inserting refreshes a key.
    if (this.#values.size >= this.#maxKeys) {
      const oldest = this.#values.keys().next().value;
      if (oldest !== undefined) this.#values.delete(oldest);
    }
    this.#values.set(key, { value, expiresAt: ttlMs > 0 ? this.#now() + ttlMs : Number.POSITIVE_INFINITY });
  }

  async incrementFields(key: string, deltas: Readonly<Record<string, number>>): Promise<void> {
    let hash = this.#hashes.get(key);
    if (!hash) {
      if (this.#hashes.size >= this.#maxKeys) {
        const oldest = this.#hashes.keys().next().value;
        if (oldest !== undefined) this.#hashes.delete(oldest);
      }
      hash = {};
      this.#hashes.set(key, hash);
    }
    for (const [field, delta] of Object.entries(deltas)) hash[field] = (hash[field] ?? 0) + delta;
  }

  async readFields(key: string): Promise<Record<string, number>> {
    return { ...(this.#hashes.get(key) ?? {}) };
  }

  async close(): Promise<void> {
    this.#values.clear();
    this.#hashes.clear();
  }
}
