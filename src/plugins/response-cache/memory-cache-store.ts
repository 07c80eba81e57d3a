// The in-memory response cache: exact keys in one map kept in least-recently-used order, and per-bucket entry sets
// for the semantic search (a bucket is a scope plus everything that must match exactly, so it is searched whole).
// Bounded by entries and bytes: the least recently used entries go first; expired ones are dropped when met.
import type { CachedAnswer } from './cached-answer.ts';
import { type SparseVector, sparseDot } from './sparse-vector.ts';

export interface CacheEntry {
  readonly exact: string;
  readonly bucket: string;
  readonly scope: string;
  readonly answer: CachedAnswer;
  readonly vector: SparseVector | undefined;
  readonly bytes: number;
  readonly storedAt: number;
  readonly expiresAt: number;
}

export interface CacheBounds {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

export interface NearestEntry {
  readonly entry: CacheEntry;
  /** Raw cosine of the query to the entry's vector (the caller maps it onto its threshold scale). */
  readonly raw: number;
}

export interface CacheStoreStats {
  readonly entries: number;
  readonly bytes: number;
  readonly evictions: number;
}

export class MemoryCacheStore {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #buckets = new Map<string, Set<CacheEntry>>();
  #bounds: CacheBounds;
  #bytes = 0;
  #evictions = 0;

  constructor(bounds: CacheBounds) {
    this.#bounds = bounds;
  }

  setBounds(bounds: CacheBounds): void {
    this.#bounds = bounds;
    this.#trim();
  }

  get stats(): CacheStoreStats {
    return { entries: this.#entries.size, bytes: this.#bytes, evictions: this.#evictions };
  }

  /** The live entry stored under `exact`, made most recently used. */
  getExact(exact: string, now: number): CacheEntry | undefined {
    const entry = this.#entries.get(exact);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.#remove(entry);
      return undefined;
    }
    this.#touch(entry);
    return entry;
  }

  /** The live entry of `bucket` whose vector is nearest `query` (brute force over the bucket), made most recent. */
  nearest(bucket: string, query: Float32Array, now: number): NearestEntry | undefined {
    const entries = this.#buckets.get(bucket);
    if (!entries) return undefined;
    let best: CacheEntry | undefined;
    let bestRaw = Number.NEGATIVE_INFINITY;
    const expired: CacheEntry[] = [];
    for (const entry of entries) {
      if (entry.expiresAt <= now) {
        expired.push(entry);
        continue;
      }
      if (!entry.vector) continue;
      const raw = sparseDot(query, entry.vector);
      if (raw > bestRaw) {
        bestRaw = raw;
        best = entry;
      }
    }
    for (const entry of expired) this.#remove(entry);
    if (!best) return undefined;
    this.#touch(best);
    return { entry: best, raw: bestRaw };
  }

  /** Stores (or replaces) an entry; false when it alone exceeds the byte bound. */
  put(entry: CacheEntry): boolean {
    if (entry.bytes > this.#bounds.maxBytes) return false;
    const previous = this.#entries.get(entry.exact);
    if (previous) this.#remove(previous);
    this.#entries.set(entry.exact, entry);
    let bucket = this.#buckets.get(entry.bucket);
    if (!bucket) {
      bucket = new Set();
      this.#buckets.set(entry.bucket, bucket);
    }
    bucket.add(entry);
    this.#bytes += entry.bytes;
    this.#trim();
    return true;
  }

  /** Drops every entry of `scope` (every entry when undefined); returns how many. */
  flush(scope?: string): number {
    let dropped = 0;
    for (const entry of [...this.#entries.values()]) {
      if (scope !== undefined && entry.scope !== scope) continue;
      this.#remove(entry);
      dropped++;
    }
    return dropped;
  }

  #touch(entry: CacheEntry): void {
    this.#entries.delete(entry.exact);
    this.#entries.set(entry.exact, entry);
  }

  #remove(entry: CacheEntry): void {
    if (this.#entries.get(entry.exact) !== entry) return;
    this.#entries.delete(entry.exact);
    const bucket = this.#buckets.get(entry.bucket);
    bucket?.delete(entry);
    if (bucket?.size === 0) this.#buckets.delete(entry.bucket);
    this.#bytes -= entry.bytes;
  }

  #trim(): void {
    const { maxEntries, maxBytes } = this.#bounds;
    for (const entry of this.#entries.values()) {
      if (this.#entries.size <= maxEntries && this.#bytes <= maxBytes) break;
      this.#remove(entry);
      this.#evictions++;
    }
  }
}
