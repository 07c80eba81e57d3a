// Deterministic hashed text features (word n-grams + character n-grams) shared by training and inference.

/** Featurizer settings; stored in the exported model's metadata so inference hashes exactly as training did. */
export interface FeaturizerConfig {
  /** Number of hash buckets (rows of the embedding table). */
  readonly buckets: number;
  /** Highest word n-gram order: 1 = unigrams only, 2 = unigrams + bigrams, … */
  readonly wordNgrams: number;
  /** Shortest character n-gram (of `<word>` with boundary markers); 0 disables character n-grams. */
  readonly charNgramMin: number;
  /** Longest character n-gram. */
  readonly charNgramMax: number;
  /** At most this many distinct features per text (the earliest ones are kept). */
  readonly maxFeatures: number;
  /** Only the first `maxChars` UTF-16 code units of a text are read. */
  readonly maxChars: number;
}

export const DEFAULT_FEATURIZER_CONFIG: FeaturizerConfig = {
  buckets: 1 << 18,
  wordNgrams: 2,
  charNgramMin: 3,
  charNgramMax: 5,
  maxFeatures: 512,
  maxChars: 1024,
};

/** A featurizer configuration that cannot work (non-positive sizes, min > max). */
export class FeaturizerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeaturizerConfigError';
  }
}

function checkInt(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FeaturizerConfigError(
      `featurizer ${name} must be an integer in [${min}, ${max}], got ${value}`,
    );
  }
}

/** Checks a configuration (e.g. one read from model metadata) and returns it typed. */
export function validateFeaturizerConfig(config: unknown): FeaturizerConfig {
  if (typeof config !== 'object' || config === null)
    throw new FeaturizerConfigError('featurizer: not an object');
  const c = config as Record<string, unknown>;
  checkInt('buckets', c.buckets, 1, 2 ** 31 - 1);
  checkInt('wordNgrams', c.wordNgrams, 0, 8);
  checkInt('charNgramMin', c.charNgramMin, 0, 32);
  checkInt('charNgramMax', c.charNgramMax, 0, 32);
  checkInt('maxFeatures', c.maxFeatures, 1, 1 << 20);
  checkInt('maxChars', c.maxChars, 1, 1 << 24);
  if ((c.charNgramMin as number) > (c.charNgramMax as number)) {
    throw new FeaturizerConfigError('featurizer charNgramMin must not exceed charNgramMax');
  }
  return {
    buckets: c.buckets as number,
    wordNgrams: c.wordNgrams as number,
    charNgramMin: c.charNgramMin as number,
    charNgramMax: c.charNgramMax as number,
    maxFeatures: c.maxFeatures as number,
    maxChars: c.maxChars as number,
  };
}

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** One FNV-1a step over a UTF-16 code unit (low byte, then high byte). */
function step(hash: number, codeUnit: number): number {
  let h = Math.imul(hash ^ (codeUnit & 0xff), FNV_PRIME);
  h = Math.imul(h ^ (codeUnit >>> 8), FNV_PRIME);
  return h;
}

/** murmur3's fmix32 finaliser, so that `hash % buckets` uses well-mixed bits. */
export function fmix32(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Stable 32-bit hash of a string: FNV-1a over its UTF-16 code units, then murmur3's finaliser. */
export function hashString(text: string, seed = FNV_OFFSET): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = step(h, text.charCodeAt(i));
  return fmix32(h);
}

/** Kind tags, hashed first so a word, a bigram and a character n-gram with equal text differ. */
const TAG_WORD = 0x77; // 'w'
const TAG_WORD_NGRAM = 0x6e; // 'n'
const TAG_CHAR = 0x63; // 'c'
const SPACE = 0x20;

/** Runs of letters, marks, digits and '_', or any single other non-space code point (punctuation, emoji). */
const TOKEN = /[\p{L}\p{M}\p{N}_]+|[^\s\p{L}\p{M}\p{N}_]/gu;

/** The text as the featurizer sees it: first `maxChars` code units, NFKC, lower case. */
export function normalizeText(text: string, maxChars: number): string {
  return text.slice(0, maxChars).normalize('NFKC').toLowerCase();
}

/** Word tokens of a normalised text. */
export function tokenize(normalized: string): string[] {
  return normalized.match(TOKEN) ?? [];
}

/**
 * Feature ids (bucket numbers in [0, buckets)) of a text, distinct, in order of first occurrence, at most
 * `maxFeatures`. For each word in turn: its unigram, the word n-grams ending at it, then its character
 * n-grams of `<word>`; so a long text keeps the features of its beginning.
 */
export function featurize(text: string, config: FeaturizerConfig): Int32Array {
  const words = tokenize(normalizeText(text, config.maxChars));
  const seen = new Set<number>();
  const out: number[] = [];
  const { buckets, maxFeatures } = config;
  const add = (hash: number): boolean => {
    const id = fmix32(hash) % buckets;
    if (!seen.has(id)) {
      seen.add(id);
      out.push(id);
    }
    return out.length >= maxFeatures;
  };
  const charMin = Math.max(1, config.charNgramMin);
  const charMax = config.charNgramMin === 0 ? 0 : config.charNgramMax;
  for (let t = 0; t < words.length; t++) {
    const word = words[t] ?? '';
    if (config.wordNgrams >= 1) {
      let h = step(FNV_OFFSET, TAG_WORD);
      for (let i = 0; i < word.length; i++) h = step(h, word.charCodeAt(i));
      if (add(h)) break;
    }
    let full = false;
    for (let n = 2; n <= config.wordNgrams && n <= t + 1 && !full; n++) {
      let h = step(step(FNV_OFFSET, TAG_WORD_NGRAM), n);
      for (let k = t - n + 1; k <= t; k++) {
        const w = words[k] ?? '';
        for (let i = 0; i < w.length; i++) h = step(h, w.charCodeAt(i));
        h = step(h, SPACE);
      }
      full = add(h);
    }
    if (full) break;
    if (charMax > 0) {
      const marked = `<${word}>`;
      for (let start = 0; start < marked.length && !full; start++) {
        let h = step(FNV_OFFSET, TAG_CHAR);
        const end = Math.min(marked.length, start + charMax);
        for (let j = start; j < end && !full; j++) {
          h = step(h, marked.charCodeAt(j));
          if (j - start + 1 >= charMin) full = add(h);
        }
      }
    }
    if (full) break;
  }
  return Int32Array.from(out);
}
