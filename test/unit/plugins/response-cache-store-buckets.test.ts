// The store's per-bucket bookkeeping the lookup skips work on: a bucket has entries exactly when one of its exact
// keys still finds an entry, through puts, replacements, evictions by the bounds, and flushes.
import { describe, expect, it } from 'vitest';
import type { CachedAnswer } from '../../../src/plugins/response-cache/cached-answer.ts';
import { type CacheEntry, MemoryCacheStore } from '../../../src/plugins/response-cache/memory-cache-store.ts';
import { seededRandom } from '../../../src/seeded-random.ts';

const ANSWER = { model: 'small', content: 'ok' } as unknown as CachedAnswer;
const BUCKETS = ['b0', 'b1', 'b2', 'b3'];
const EXACTS = Array.from({ length: 12 }, (_, i) => `e${i}`);

function entry(exact: string, bucket: string, scope: string, bytes: number): CacheEntry {
  const vector = { positions: Uint16Array.of(1), values: Float32Array.of(1) };
  return {
    exact,
    bucket,
    scope,
    answer: ANSWER,
    vector,
    bytes,
    storedAt: 0,
    expiresAt: Number.POSITIVE_INFINITY,
  };
}

describe('MemoryCacheStore buckets', () => {
  it('has entries in a bucket exactly when one of its keys finds an entry', () => {
    const random = seededRandom(7);
    const store = new MemoryCacheStore({ maxEntries: 5, maxBytes: 400 });
    const bucketOf = new Map<string, string>();
    let sawEmpty = 0;
    let sawFull = 0;
    for (let step = 0; step < 3000; step++) {
      const action = random();
      if (action < 0.6) {
        const exact = EXACTS[Math.floor(random() * EXACTS.length)] as string;
        // An exact key always derives from one bucket.
        const bucket = bucketOf.get(exact) ?? (BUCKETS[Math.floor(random() * BUCKETS.length)] as string);
        bucketOf.set(exact, bucket);
        store.put(
          entry(exact, bucket, bucket === 'b0' ? 'tenant:a' : 'global', 40 + Math.floor(random() * 80)),
          0,
        );
      } else if (action < 0.65) store.flush(random() < 0.5 ? 'tenant:a' : undefined);
      for (const bucket of BUCKETS) {
        const found = EXACTS.some((exact) => bucketOf.get(exact) === bucket && store.getExact(exact, 0));
        expect(store.hasEntries(bucket)).toBe(found);
        expect(store.hasVectors(bucket)).toBe(found);
        if (found) sawFull++;
        else sawEmpty++;
      }
    }
    expect(sawEmpty).toBeGreaterThan(100);
    expect(sawFull).toBeGreaterThan(100);
  });
});
