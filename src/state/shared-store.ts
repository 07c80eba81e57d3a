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
  /** Appends `value` to the list at `key`, keeping only its last `maxLength` items; `ttlMs` > 0 (re)sets its expiry. */
  appendCapped?(key: string, value: string, maxLength: number, ttlMs?: number): Promise<void>;
  /** The items of the list at `key`, oldest first ([] when absent). */
  readList?(key: string): Promise<string[]>;
  /** Deletes every key (values, hashes, lists) whose name starts with `prefix`; returns how many. */
  deleteByPrefix?(prefix: string): Promise<number>;
  close(): Promise<void>;
}

interface Entry {
  value: string;
  expiresAt: number;
}

interface ListEntry {
  items: string[];
  expiresAt: number;
}

/** Drops the oldest-inserted key of `map` when it holds `max` keys (Map iteration order is insertion order). */
function makeRoom(map: Map<string, unknown>, max: number): void {
  if (map.size < max) return;
  const oldest = map.keys().next().value;
  if (oldest !== undefined) map.delete(oldest);
}

/** The default store: a map in this process, bounded so per-session keys cannot grow without end. */
export class MemoryStore implements SharedStore {
  readonly kind = 'memory';
  readonly healthy = true;
  readonly #values = new Map<string, Entry>();
  readonly #hashes = new Map<string, Record<string, number>>();
  readonly #lists = new Map<string, ListEntry>();
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

  async appendCapped(key: string, value: string, maxLength: number, ttlMs = 0): Promise<void> {
    const live = this.#liveList(key);
    this.#lists.delete(key);
    makeRoom(this.#lists, this.#maxKeys);
    const items = live ? live.items : [];
    items.push(value);
    if (items.length > maxLength) items.splice(0, items.length - maxLength);
    const expiresAt = ttlMs > 0 ? this.#now() + ttlMs : (live?.expiresAt ?? Number.POSITIVE_INFINITY);
    this.#lists.set(key, { items, expiresAt });
  }

  async readList(key: string): Promise<string[]> {
    return [...(this.#liveList(key)?.items ?? [])];
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    let deleted = 0;
    for (const map of [this.#values, this.#hashes, this.#lists] as Map<string, unknown>[]) {
      for (const key of [...map.keys()]) {
        if (!key.startsWith(prefix)) continue;
        map.delete(key);
        deleted++;
      }
    }
    return deleted;
  }

  async close(): Promise<void> {
    this.#values.clear();
    this.#hashes.clear();
    this.#lists.clear();
  }

  #liveList(key: string): ListEntry | undefined {
    const list = this.#lists.get(key);
    if (list && list.expiresAt <= this.#now()) {
      this.#lists.delete(key);
      return undefined;
    }
    return list;
  }
}
