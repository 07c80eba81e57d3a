// The process's response cache: one in-memory store every `response_cache` plugin shares (entries are keyed by
// scope and decision, so plugins never see each other's answers), kept across policy reloads, with the counters
// the admin endpoint and the metrics read.
import { type CacheBounds, MemoryCacheStore } from './memory-cache-store.ts';

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

export class ResponseCacheRegistry {
  #store: MemoryCacheStore | undefined;
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

  /** The shared store; the latest bounds a plugin asked for apply. */
  store(bounds: CacheBounds): MemoryCacheStore {
    if (!this.#store) this.#store = new MemoryCacheStore(bounds);
    else this.#store.setBounds(bounds);
    return this.#store;
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

  /** Drops the entries of a scope (`global`, `tenant:<id>`, `user:<id>`), or all of them. */
  flush(scope?: string): number {
    return this.#store?.flush(scope) ?? 0;
  }

  snapshot(): ResponseCacheCounters & { entries: number; bytes: number; evictions: number } {
    const stats = this.#store?.stats ?? { entries: 0, bytes: 0, evictions: 0 };
    return { ...this.counters, ...stats };
  }
}

export const RESPONSE_CACHE = new ResponseCacheRegistry();
