// The lexical model's features are the FNV-1a hashes of strings the trainer defined (`w:word`, `b:word next`,
// `c:` + each 3- to 5-gram of `<word>`): the serving code hashes them without building the strings, and must land
// in the very buckets the trained document frequencies were counted in.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LEXICAL_FEATURIZER, lexicalFeatures } from '../../../src/ml/lexical/lexical-features.ts';

function fnv1a(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return hash >>> 0;
}

/** The definition, spelt out with strings. */
function referenceFeatures(text: string): number[] {
  const { buckets, charNgramMin, charNgramMax, maxChars } = DEFAULT_LEXICAL_FEATURIZER;
  const words = text
    .slice(0, maxChars)
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
  const features: number[] = [];
  words.forEach((word, i) => {
    features.push(fnv1a(`w:${word}`) % buckets);
    if (i + 1 < words.length) features.push(fnv1a(`b:${word} ${words[i + 1]}`) % buckets);
    const padded = `<${word}>`;
    for (let n = charNgramMin; n <= charNgramMax; n++)
      for (let start = 0; start + n <= padded.length; start++)
        features.push(fnv1a(`c:${padded.slice(start, start + n)}`) % buckets);
  });
  return features;
}

describe('lexical features', () => {
  it.each([
    ['plain English', 'How do I reset my password on the new portal?'],
    ['accents and symbols', 'Ünïcödé café — naïve façade, 50 % off ✓'],
    ['astral characters', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 text with emoji 😀🎉 inside'],
    ['CJK', '日本語のテキストと中文的句子'],
    ['one-letter and two-letter words', 'a b c de fg'],
    ['empty', ''],
    ['longer than maxChars', 'word '.repeat(2000)],
  ])('land in the buckets of the definition: %s', (_, text) => {
    expect(lexicalFeatures(text, DEFAULT_LEXICAL_FEATURIZER)).toEqual(referenceFeatures(text));
  });
});
