// The lexical similarity model's features: words, word pairs and the character 3- to 5-grams of each word, hashed
// into a fixed number of buckets. Shared by the trainer (document frequencies) and the serving embedder.

/** Settings stored in the model's card; the trainer and the embedder must agree on them. */
export interface LexicalFeaturizer {
  /** Buckets of the document-frequency table (a power of two). */
  readonly buckets: number;
  /** Width of the vectors: feature buckets folded modulo this (a divisor of `buckets`). */
  readonly dim: number;
  readonly charNgramMin: number;
  readonly charNgramMax: number;
  /** Characters of a text read at most (the start of the text). */
  readonly maxChars: number;
}

export const DEFAULT_LEXICAL_FEATURIZER: LexicalFeaturizer = {
  buckets: 1 << 18,
  dim: 4096,
  charNgramMin: 3,
  charNgramMax: 5,
  maxChars: 4096,
};

const WORD_SPLIT = /[^\p{L}\p{N}]+/u;

function fnv1a(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return hash >>> 0;
}

/** The hashed features of a text (with repeats: the caller counts them). */
export function lexicalFeatures(text: string, featurizer: LexicalFeaturizer): number[] {
  const words = text
    .slice(0, featurizer.maxChars)
    .normalize('NFKC')
    .toLowerCase()
    .split(WORD_SPLIT)
    .filter((word) => word.length > 0);
  const { buckets } = featurizer;
  const features: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    features.push(fnv1a(`w:${word}`) % buckets);
    if (i + 1 < words.length) features.push(fnv1a(`b:${word} ${words[i + 1]}`) % buckets);
    const padded = `<${word}>`;
    for (let n = featurizer.charNgramMin; n <= featurizer.charNgramMax; n++)
      for (let start = 0; start + n <= padded.length; start++)
        features.push(fnv1a(`c:${padded.slice(start, start + n)}`) % buckets);
  }
  return features;
}

/** Feature bucket → occurrences in the text. */
export function countFeatures(text: string, featurizer: LexicalFeaturizer): Map<number, number> {
  const counts = new Map<number, number>();
  for (const feature of lexicalFeatures(text, featurizer))
    counts.set(feature, (counts.get(feature) ?? 0) + 1);
  return counts;
}
