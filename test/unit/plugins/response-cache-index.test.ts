// The bucket index prunes the semantic search: it must still find the nearest entry whenever that entry reaches
// the threshold, exactly as a dot product with every entry would, and forget deleted entries.
import { describe, expect, it } from 'vitest';
import { BucketIndex } from '../../../src/plugins/response-cache/bucket-index.ts';
import { sparseDot, toSparse } from '../../../src/plugins/response-cache/sparse-vector.ts';
import { seededRandom } from '../../../src/seeded-random.ts';

const DIM = 512;

/** A unit vector with `nonZero` positive weights at random dimensions (the lexical model's kind of vector). */
function randomUnit(random: () => number, nonZero: number): Float32Array {
  const vector = new Float32Array(DIM);
  for (let i = 0; i < nonZero; i++) vector[Math.floor(random() * DIM)] = 0.2 + random();
  const norm = Math.hypot(...vector);
  for (let i = 0; i < DIM; i++) vector[i] = (vector[i] as number) / norm;
  return vector;
}

/** A copy of `base` with some weights moved: similar, not equal. */
function perturbed(random: () => number, base: Float32Array, amount: number): Float32Array {
  const noise = randomUnit(random, 20);
  const mixed = base.map((v, i) => v + amount * (noise[i] as number));
  const norm = Math.hypot(...mixed);
  return mixed.map((v) => v / norm);
}

describe('BucketIndex', () => {
  it('finds the same nearest entry as a full scan whenever it reaches the threshold', () => {
    const random = seededRandom(7);
    const index = new BucketIndex<number>();
    const stored = Array.from({ length: 2000 }, () => randomUnit(random, 40));
    stored.forEach((vector, i) => {
      index.add(i, toSparse(vector));
    });
    let checked = 0;
    for (let q = 0; q < 200; q++) {
      const query = perturbed(
        random,
        stored[Math.floor(random() * stored.length)] as Float32Array,
        0.2 + random(),
      );
      const scores = stored.map((vector) => sparseDot(query, toSparse(vector)));
      const bestScore = Math.max(...scores);
      for (const minRaw of [0.5, 0.8, 0.95]) {
        const found = index.nearest(query, minRaw);
        if (bestScore >= minRaw) {
          checked++;
          expect(found?.raw).toBeCloseTo(bestScore, 5);
        } else if (found) expect(found.raw).toBeLessThan(minRaw + 1e-6);
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('never returns a deleted entry, also after the postings are rebuilt', () => {
    const random = seededRandom(9);
    const index = new BucketIndex<number>();
    const stored = Array.from({ length: 3000 }, () => randomUnit(random, 30));
    stored.forEach((vector, i) => {
      index.add(i, toSparse(vector));
    });
    for (let i = 0; i < 2500; i++) index.delete(i);
    expect(index.size).toBe(500);
    for (let i = 0; i < 3000; i += 97) {
      const found = index.nearest(stored[i] as Float32Array, 0.99);
      if (i < 2500) expect(found === undefined || found.item >= 2500).toBe(true);
      else expect(found?.item).toBe(i);
    }
  });
});
