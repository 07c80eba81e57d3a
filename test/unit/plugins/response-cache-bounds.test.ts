// The in-memory cache's bounds: each set of bounds has its own store (one plugin's small bounds never evict
// another's entries), the admin totals add them up, and writes sweep expired entries so their memory is returned
// under a flood even when nothing reads them.
import { describe, expect, it } from 'vitest';
import type { CacheEntry } from '../../../src/plugins/response-cache/memory-cache-store.ts';
import { MemoryCacheStore } from '../../../src/plugins/response-cache/memory-cache-store.ts';
import { ResponseCacheRegistry } from '../../../src/plugins/response-cache/response-cache-registry.ts';

function entry(exact: string, expiresAt = Number.MAX_SAFE_INTEGER): CacheEntry {
  return {
    exact,
    bucket: 'b',
    scope: 'global',
    answer: { model: 'm', content: 'an answer', finishReason: 'stop', usage: undefined },
    vector: undefined,
    bytes: 100,
    storedAt: 0,
    expiresAt,
  };
}

describe('response cache bounds per plugin', () => {
  it("keeps each plugin's bounds: a small cache's evictions leave a large one's entries alone", () => {
    const registry = new ResponseCacheRegistry();
    const small = registry.store({ maxEntries: 2, maxBytes: 1_000_000 });
    const large = registry.store({ maxEntries: 100, maxBytes: 1_000_000 });
    expect(registry.store({ maxEntries: 2, maxBytes: 1_000_000 })).toBe(small);
    for (let i = 0; i < 10; i++) large.put(entry(`large-${i}`), 0);
    for (let i = 0; i < 10; i++) small.put(entry(`small-${i}`), 0);
    expect(small.stats).toMatchObject({ entries: 2, evictions: 8 });
    expect(large.stats).toMatchObject({ entries: 10, evictions: 0 });
    expect(registry.snapshot()).toMatchObject({ entries: 12, bytes: 1200, evictions: 8 });
    expect(registry.flushLocal()).toBe(12);
  });
});

describe('expired entries swept on writes', () => {
  it('returns the memory of expired entries nobody reads once new ones are written', () => {
    const store = new MemoryCacheStore({ maxEntries: 10_000, maxBytes: 100_000_000 });
    for (let i = 0; i < 1000; i++) store.put(entry(`old-${i}`, 10), 0);
    expect(store.stats.entries).toBe(1000);
    for (let i = 0; i < 1000; i++) store.put(entry(`new-${i}`), 20);
    expect(store.stats).toMatchObject({ entries: 1000, bytes: 100_000, evictions: 0 });
    expect(store.getExact('new-0', 20)).toBeDefined();
  });

  it('never drops a live entry while sweeping', () => {
    const store = new MemoryCacheStore({ maxEntries: 10_000, maxBytes: 100_000_000 });
    for (let i = 0; i < 500; i++) store.put(entry(`live-${i}`, 1000), 0);
    for (let i = 0; i < 500; i++) store.put(entry(`more-${i}`, 1000), 10);
    expect(store.stats.entries).toBe(1000);
  });
});
