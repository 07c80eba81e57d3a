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

const FNV_OFFSET = 2166136261;
const FNV_PRIME = 16777619;

function fnvStep(hash: number, code: number): number {
  return Math.imul(hash ^ code, FNV_PRIME);
}

function fnvText(hash: number, text: string): number {
  for (let i = 0; i < text.length; i++) hash = fnvStep(hash, text.charCodeAt(i));
  return hash;
}

// FNV-1a of each feature's text (`w:word`, `b:word next`, `c:` + an n-gram of `<word>`), computed without building
// the strings: the hash of the prefix is carried on.
const WORD_PREFIX = fnvText(FNV_OFFSET, 'w:');
const PAIR_PREFIX = fnvText(FNV_OFFSET, 'b:');
const NGRAM_PREFIX = fnvText(FNV_OFFSET, 'c:');
const SPACE = 0x20;
const OPEN = 0x3c; // <
const CLOSE = 0x3e; // >

/** Code unit `j` of `<word>`. */
function paddedCode(word: string, j: number): number {
  if (j === 0) return OPEN;
  return j === word.length + 1 ? CLOSE : word.charCodeAt(j - 1);
}

function wordsOf(text: string, featurizer: LexicalFeaturizer): string[] {
  return text
    .slice(0, featurizer.maxChars)
    .normalize('NFKC')
    .toLowerCase()
    .split(WORD_SPLIT)
    .filter((word) => word.length > 0);
}

/** Calls `visit` with each hashed feature of a text, repeats included, in a fixed order. */
export function forEachLexicalFeature(
  text: string,
  featurizer: LexicalFeaturizer,
  visit: (feature: number) => void,
): void {
  const words = wordsOf(text, featurizer);
  const { buckets, charNgramMin, charNgramMax } = featurizer;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    visit((fnvText(WORD_PREFIX, word) >>> 0) % buckets);
    if (i + 1 < words.length)
      visit((fnvText(fnvStep(fnvText(PAIR_PREFIX, word), SPACE), words[i + 1] as string) >>> 0) % buckets);
    const paddedLength = word.length + 2;
    for (let n = charNgramMin; n <= charNgramMax; n++)
      for (let start = 0; start + n <= paddedLength; start++) {
        let hash = NGRAM_PREFIX;
        for (let j = start; j < start + n; j++) hash = fnvStep(hash, paddedCode(word, j));
        visit((hash >>> 0) % buckets);
      }
  }
}

/** The hashed features of a text (with repeats: the caller counts them). */
export function lexicalFeatures(text: string, featurizer: LexicalFeaturizer): number[] {
  const features: number[] = [];
  forEachLexicalFeature(text, featurizer, (feature) => features.push(feature));
  return features;
}

/** Feature bucket → occurrences in the text. */
export function countFeatures(text: string, featurizer: LexicalFeaturizer): Map<number, number> {
  const counts = new Map<number, number>();
  forEachLexicalFeature(text, featurizer, (feature) => counts.set(feature, (counts.get(feature) ?? 0) + 1));
  return counts;
}
