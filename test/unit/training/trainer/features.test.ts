// Hashed n-gram featurizer: determinism, bounds, Unicode handling and config validation.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FEATURIZER_CONFIG,
  FeaturizerConfigError,
  featurize,
  hashString,
  normalizeText,
  tokenize,
  validateFeaturizerConfig,
} from '../../../../src/ml/wide-mlp/features.ts';

const config = DEFAULT_FEATURIZER_CONFIG;

function inRange(ids: Int32Array, buckets: number): boolean {
  return ids.every((id) => Number.isInteger(id) && id >= 0 && id < buckets);
}

describe('featurize', () => {
  it('is deterministic and pinned (stable hash across runs and platforms)', () => {
    const a = featurize('What is the capital of France?', config);
    const b = featurize('What is the capital of France?', config);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(hashString('hello')).toBe(hashString('hello'));
    expect(hashString('hello')).not.toBe(hashString('hellp'));
    // Pinned value: a change of hash silently invalidates every trained model.
    expect(hashString('semantic-router')).toBe(2999249231);
  });

  it('returns distinct ids within [0, buckets)', () => {
    const ids = featurize('the cat sat on the mat, the cat sat.', config);
    expect(new Set(ids).size).toBe(ids.length);
    expect(inRange(ids, config.buckets)).toBe(true);
    expect(ids.length).toBeGreaterThan(10);
  });

  it('normalises NFKC and case, so full-width and upper case hash alike', () => {
    expect(normalizeText('ＨＥＬＬＯ Wörld', 100)).toBe('hello wörld');
    expect(Array.from(featurize('ＨＥＬＬＯ', config))).toEqual(Array.from(featurize('hello', config)));
  });

  it('separates word unigrams, bigrams and char n-grams', () => {
    const uni = featurize('alpha beta', { ...config, wordNgrams: 1, charNgramMin: 0, charNgramMax: 0 });
    const bi = featurize('alpha beta', { ...config, wordNgrams: 2, charNgramMin: 0, charNgramMax: 0 });
    expect(uni.length).toBe(2);
    expect(bi.length).toBe(3);
    // '<alpha>' has 5 3-grams, 4 4-grams, 3 5-grams.
    const chars = featurize('alpha', { ...config, wordNgrams: 0 });
    expect(chars.length).toBe(12);
  });

  it('bounds a 1 MB text by maxChars and maxFeatures, quickly', () => {
    const big = 'lorem ipsum dolor sit amet consectetur '.repeat(27_000);
    expect(big.length).toBeGreaterThan(1_000_000);
    const start = performance.now();
    const ids = featurize(big, config);
    expect(performance.now() - start).toBeLessThan(200);
    expect(ids.length).toBeLessThanOrEqual(config.maxFeatures);
    const few = featurize(big, { ...config, maxFeatures: 7 });
    expect(few.length).toBe(7);
    expect(Array.from(few)).toEqual(Array.from(ids.subarray(0, 7)));
  });

  it('handles emoji, CJK, empty and whitespace-only text', () => {
    const emoji = featurize('I love it 😀🎉!', config);
    expect(emoji.length).toBeGreaterThan(0);
    expect(inRange(emoji, config.buckets)).toBe(true);
    expect(tokenize('hi 😀🎉!')).toEqual(['hi', '😀', '🎉', '!']);
    const cjk = featurize('東京は日本の首都です', config);
    expect(cjk.length).toBeGreaterThan(5);
    expect(inRange(cjk, config.buckets)).toBe(true);
    expect(featurize('', config).length).toBe(0);
    expect(featurize(' \n\t ', config).length).toBe(0);
    // A lone surrogate (from a cut text) must not throw.
    expect(() => featurize('\ud83d abc', config)).not.toThrow();
  });

  it('honours small bucket counts', () => {
    const ids = featurize('some words to hash into few buckets', { ...config, buckets: 7 });
    expect(inRange(ids, 7)).toBe(true);
    expect(ids.length).toBeLessThanOrEqual(7);
  });
});

describe('validateFeaturizerConfig', () => {
  it('accepts the default and rejects broken configs', () => {
    expect(validateFeaturizerConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
    expect(() => validateFeaturizerConfig({ ...config, buckets: 0 })).toThrow(FeaturizerConfigError);
    expect(() => validateFeaturizerConfig({ ...config, charNgramMin: 6 })).toThrow(FeaturizerConfigError);
    expect(() => validateFeaturizerConfig(null)).toThrow(FeaturizerConfigError);
  });
});
