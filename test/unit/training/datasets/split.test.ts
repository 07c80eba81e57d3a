// Split assignment and text normalisation: stable, proportional, punctuation- and case-insensitive.
import { describe, expect, it } from 'vitest';
import { normalizeForDedupe, splitBucket, splitOf } from '../../../../src/training/datasets/split.ts';

describe('normalizeForDedupe', () => {
  it('ignores case, punctuation, spacing and compatibility forms', () => {
    expect(normalizeForDedupe('  What is  2+2? ')).toBe('what is 2 2');
    expect(normalizeForDedupe('WHAT is 2 + 2')).toBe('what is 2 2');
    expect(normalizeForDedupe('ﬁle')).toBe('file');
    expect(normalizeForDedupe('...')).toBe('');
  });
});

describe('splitOf', () => {
  it('is a pure function of the group key', () => {
    for (const key of ['a', 'b', 'gptfuzz-template:3', 'what is 2 2']) {
      expect(splitOf(key)).toBe(splitOf(key));
      expect(splitBucket(key)).toBeGreaterThanOrEqual(0);
      expect(splitBucket(key)).toBeLessThan(1000);
    }
  });

  it('puts about 80 / 10 / 10 % of keys in train / validation / test', () => {
    const counts = { train: 0, validation: 0, test: 0 };
    for (let i = 0; i < 20_000; i++) counts[splitOf(`key ${i}`)]++;
    expect(counts.train / 20_000).toBeCloseTo(0.8, 1);
    expect(counts.validation / 20_000).toBeCloseTo(0.1, 1);
    expect(counts.test / 20_000).toBeCloseTo(0.1, 1);
  });
});
