// The process's response cache: one in-memory store per distinct set of bounds, shared by the `response_cache`
// plugins that ask for those bounds (entries are keyed by scope and decision, so plugins never see each other's
// answers), kept across policy reloads, with the counters the admin endpoint and the metrics read.
import type { SharedStore } from '../../state/shared-store.ts';
import { SharedFlushLog } from './flush-log.ts';
import { type CacheBounds, MemoryCacheStore } from './memory-cache-store.ts';
import { flushShared } from './shared-entries.ts';

export type LookupOutcome = 'exact_hit' | 'semantic_hit' | 'miss' | 'skipped';

export interface ResponseCacheCounters {
  exactHits: number;
  semanticHits: number;
  misses: number;
  /** Requests the cache did not look up (no-cache / no-store, uncachable request). */
  skipped: number;
  stores: number;
  /** Answers not stored: incomplete, not 2xx, cancelled, too large or not a single text choice. */
  rejectedAnswers: number;
  lookupSeconds: number;
  lookups: number;
  /** Failed reads and writes of the shared (state store) entries: served on as misses. */
  sharedErrors: number;
  /** Lookups the embedding model failed (served on as exact-only lookups). */
  embedderErrors: number;
}

/** Told of every lookup (the metrics' histogram). */
export type LookupListener = (outcome: LookupOutcome, seconds: number) => void;

export interface FlushResult {
  /** Entries dropped from this replica's memory. */
  readonly flushed: number;
  /** Keys (entries and vector lists) deleted from the shared state store; absent without one. */
  readonly sharedKeys?: number;
}

function boundsKey(bounds: CacheBounds): string {
  return `${bounds.maxEntries}/${bounds.maxBytes}`;
}

export class ResponseCacheRegistry {
  readonly #stores = new Map<string, MemoryCacheStore>();
  #shared: SharedStore | undefined;
  readonly #flushLog = new SharedFlushLog((scope) => this.flushLocal(scope));
  readonly #countSharedError = () => {
    this.counters.sharedErrors++;
  };
  #listeners: LookupListener[] = [];
  readonly counters: ResponseCacheCounters = {
    exactHits: 0,
    semanticHits: 0,
    misses: 0,
    skipped: 0,
    stores: 0,
    rejectedAnswers: 0,
    lookupSeconds: 0,
    lookups: 0,
    sharedErrors: 0,
    embedderErrors: 0,
  };

  /** The store of these bounds (one per distinct bounds, so one plugin's bounds never shrink another's). */
  store(bounds: CacheBounds): MemoryCacheStore {
    const key = boundsKey(bounds);
    let store = this.#stores.get(key);
    if (!store) {
      store = new MemoryCacheStore(bounds);
      this.#stores.set(key, store);
    }
    return store;
  }

  /** The state store shared entries live in (the process's): a flush deletes them there too. */
  useSharedStore(shared: SharedStore): void {
    this.#shared = shared;
  }

  onLookup(listener: LookupListener): void {
    this.#listeners.push(listener);
  }

  countLookup(outcome: LookupOutcome, seconds: number): void {
    for (const listener of this.#listeners) listener(outcome, seconds);
    if (outcome === 'exact_hit') this.counters.exactHits++;
    else if (outcome === 'semantic_hit') this.counters.semanticHits++;
    else if (outcome === 'miss') this.counters.misses++;
    else this.counters.skipped++;
    if (outcome !== 'skipped') {
      this.counters.lookups++;
      this.counters.lookupSeconds += seconds;
    }
  }

  /** Drops this replica's entries of a scope (`global`, `tenant:<id>`, `user:<id>`), or all of them. */
  flushLocal(scope?: string): number {
    let flushed = 0;
    for (const store of this.#stores.values()) flushed += store.flush(scope);
    return flushed;
  }

  /**
   * Drops the entries of a scope, or all of them, here and in the shared state store, and logs the flush there so
   * that the other replicas drop their own copies too (see followFlushes).
   */
  async flush(scope?: string): Promise<FlushResult> {
    const flushed = this.flushLocal(scope);
    const shared = this.#shared;
    if (!shared) return { flushed };
    const sharedKeys = await flushShared(shared, scope, this.#countSharedError);
    await this.#flushLog.record(shared, scope).catch(this.#countSharedError);
    return sharedKeys === undefined ? { flushed } : { flushed, sharedKeys };
  }

  /** Applies the flushes other replicas logged in `shared` (read at most once a second, off the request path). */
  followFlushes(shared: SharedStore, now: number): void {
    this.#flushLog.follow(shared, now, this.#countSharedError);
  }

  snapshot(): ResponseCacheCounters & { entries: number; bytes: number; evictions: number } {
    const stats = { entries: 0, bytes: 0, evictions: 0 };
    for (const store of this.#stores.values()) {
      const { entries, bytes, evictions } = store.stats;
      stats.entries += entries;
      stats.bytes += bytes;
      stats.evictions += evictions;
    }
    return { ...this.counters, ...stats };
  }
}

export const RESPONSE_CACHE = new ResponseCacheRegistry();
