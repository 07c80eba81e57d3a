// The in-memory response cache: exact keys in one map kept in least-recently-used order, and per-bucket vector
// indexes for the semantic search (a bucket is a scope plus everything that must match exactly).
// Bounded by entries and bytes: the least recently used entries go first; expired ones are dropped when met, and
// every write sweeps a few more entries for expiry, so a flood of writes returns expired entries' memory.

import { BucketIndex } from './bucket-index.ts';
import type { CachedAnswer } from './cached-answer.ts';
import type { SparseVector } from './sparse-vector.ts';

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

/** Entries each write checks for expiry: bounded work per write; a full pass every `entries / SWEEP_PER_WRITE` writes. */
const SWEEP_PER_WRITE = 8;

export class MemoryCacheStore {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #buckets = new Map<string, BucketIndex<CacheEntry>>();
  /** Entries per bucket, vectors or not. */
  readonly #bucketEntries = new Map<string, number>();
  readonly #bounds: CacheBounds;
  #bytes = 0;
  #evictions = 0;
  #sweep: Iterator<CacheEntry> | undefined;

  constructor(bounds: CacheBounds) {
    this.#bounds = bounds;
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

  /**
   * The live entry of `bucket` nearest `query` among those that can reach `minRaw` (raw cosine), made most
   * recently used; entries that cannot reach it may be left out.
   */
  nearest(bucket: string, query: Float32Array, minRaw: number, now: number): NearestEntry | undefined {
    const index = this.#buckets.get(bucket);
    while (index && index.size > 0) {
      const found = index.nearest(query, minRaw);
      if (!found) return undefined;
      if (found.item.expiresAt <= now) {
        this.#remove(found.item);
        continue;
      }
      this.#touch(found.item);
      return { entry: found.item, raw: found.raw };
    }
    return undefined;
  }

  /** Entries held (expired ones included). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Whether `bucket` holds any entry (expired ones included): an entry's exact key derives from its bucket, so an
   * empty bucket has no entry under any exact key of its requests.
   */
  hasEntries(bucket: string): boolean {
    return this.#bucketEntries.has(bucket);
  }

  /** Whether `bucket` holds any vector a semantic lookup could compare against (expired ones included). */
  hasVectors(bucket: string): boolean {
    return this.#buckets.has(bucket);
  }

  /** Stores (or replaces) an entry; false when it alone exceeds the byte bound. */
  put(entry: CacheEntry, now: number): boolean {
    this.#sweepExpired(now);
    if (entry.bytes > this.#bounds.maxBytes) return false;
    const previous = this.#entries.get(entry.exact);
    if (previous) this.#remove(previous);
    this.#entries.set(entry.exact, entry);
    this.#bucketEntries.set(entry.bucket, (this.#bucketEntries.get(entry.bucket) ?? 0) + 1);
    if (entry.vector) {
      let index = this.#buckets.get(entry.bucket);
      if (!index) {
        index = new BucketIndex();
        this.#buckets.set(entry.bucket, index);
      }
      index.add(entry, entry.vector);
    }
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

  /** Drops the expired among the next few entries of a pass over the map that resumes where the last write left it. */
  #sweepExpired(now: number): void {
    for (let checked = 0; checked < SWEEP_PER_WRITE && this.#entries.size > 0; checked++) {
      this.#sweep ??= this.#entries.values();
      const next = this.#sweep.next();
      if (next.done) {
        this.#sweep = undefined;
        continue;
      }
      if (next.value.expiresAt <= now) this.#remove(next.value);
    }
  }

  #touch(entry: CacheEntry): void {
    this.#entries.delete(entry.exact);
    this.#entries.set(entry.exact, entry);
  }

  #remove(entry: CacheEntry): void {
    if (this.#entries.get(entry.exact) !== entry) return;
    this.#entries.delete(entry.exact);
    const left = (this.#bucketEntries.get(entry.bucket) ?? 1) - 1;
    if (left > 0) this.#bucketEntries.set(entry.bucket, left);
    else this.#bucketEntries.delete(entry.bucket);
    const index = this.#buckets.get(entry.bucket);
    index?.delete(entry);
    if (index?.size === 0) this.#buckets.delete(entry.bucket);
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
