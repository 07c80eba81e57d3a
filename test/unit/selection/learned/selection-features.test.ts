// The selection featurizer: what training hashed is what serving hashes, bounded by maxChars and maxFeatures.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SELECTION_FEATURIZER,
  SelectionFeaturizer,
  validateSelectionFeaturizer,
} from '../../../../src/selection/learned/selection-features.ts';

const config = { ...DEFAULT_SELECTION_FEATURIZER, buckets: 1 << 12 };
const featurizer = new SelectionFeaturizer(config, new Float32Array(config.buckets).fill(1));

describe('selection featurizer', () => {
  it('ignores case and spacing, not word order', () => {
    const ids = (text: string) => Array.from(featurizer.ids(text));
    expect(ids('Solve  the EQUATION')).toEqual(ids('solve the equation'));
    expect(new Set(ids('the equation solve'))).not.toEqual(new Set(ids('solve the equation')));
    // unigrams and bigrams: 3 words → 3 + 2 features
    expect(ids('solve the equation')).toHaveLength(5);
  });

  it('is the same from call to call and from instance to instance', () => {
    const other = new SelectionFeaturizer(config, new Float32Array(config.buckets).fill(1));
    const text = 'Quelle est la dérivée de x² ? 二次方程式を解いてください。';
    expect(Array.from(featurizer.ids(text))).toEqual(Array.from(other.ids(text)));
    expect(Array.from(featurizer.ids(text))).toEqual(Array.from(featurizer.ids(text)));
    expect(featurizer.ids(text).length).toBeGreaterThan(3);
  });

  it('reads at most maxChars characters and keeps at most maxFeatures ids, all distinct and in range', () => {
    const huge = Array.from({ length: 200_000 }, (_, i) => `w${i}`).join(' ');
    const ids = featurizer.ids(huge);
    expect(ids.length).toBe(config.maxFeatures);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.max(...ids)).toBeLessThan(config.buckets);
    const tail = `${'a '.repeat(config.maxChars)}zebra`;
    expect(Array.from(featurizer.ids(tail))).toEqual(
      Array.from(featurizer.ids('a '.repeat(config.maxChars))),
    );
  });

  it('gives an L2-normalised vector, and an empty one for an empty prompt', () => {
    const v = featurizer.vector('what is the integral of x');
    expect(v.values.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 6);
    expect(featurizer.vector('').ids).toHaveLength(0);
    expect(featurizer.vector('   \n\t ').ids).toHaveLength(0);
  });

  it('rejects a featurizer configuration it cannot run', () => {
    expect(() => validateSelectionFeaturizer({ ...config, kind: 'char-ngrams' })).toThrow(/kind/);
    expect(() => validateSelectionFeaturizer({ ...config, buckets: 0 })).toThrow(/buckets/);
    expect(validateSelectionFeaturizer({ ...config })).toEqual(config);
  });
});
