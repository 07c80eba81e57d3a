// Prompt features of the learned selectors: hashed word unigrams and bigrams, idf-weighted, L2-normalised.
// A single pass over UTF-16 code units with no intermediate strings: the project's WideMLP featurizer (NFKC,
// Unicode-class regex, character n-grams) costs 100-150 µs on a 500-character prompt, the whole budget of a
// learned selection; this one costs a few µs.

import { FNV_OFFSET, FNV_PRIME, fmix32 } from '../../ml/wide-mlp/features.ts';

/** A sparse, L2-normalised vector: distinct bucket ids and their weights. */
export interface SparseVector {
  readonly ids: Int32Array;
  readonly values: Float32Array;
}

export interface SelectionFeaturizerConfig {
  readonly kind: 'word-bigrams-v1';
  /** Number of hash buckets. */
  readonly buckets: number;
  /** Only the first `maxChars` UTF-16 code units of a prompt are read. */
  readonly maxChars: number;
  /** At most this many distinct buckets per prompt (the earliest ones). */
  readonly maxFeatures: number;
}

export const DEFAULT_SELECTION_FEATURIZER: SelectionFeaturizerConfig = {
  kind: 'word-bigrams-v1',
  buckets: 1 << 14,
  maxChars: 2048,
  maxFeatures: 256,
};

/** Checks a featurizer configuration read from a model file. */
export function validateSelectionFeaturizer(raw: unknown): SelectionFeaturizerConfig {
  const c = (raw ?? {}) as Record<string, unknown>;
  if (c.kind !== 'word-bigrams-v1')
    throw new Error(`featurizer kind must be 'word-bigrams-v1', got ${String(c.kind)}`);
  for (const [name, max] of [
    ['buckets', 1 << 24],
    ['maxChars', 1 << 24],
    ['maxFeatures', 1 << 16],
  ] as const) {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
      throw new Error(`featurizer ${name} must be an integer in [1, ${max}], got ${String(v)}`);
  }
  return c as unknown as SelectionFeaturizerConfig;
}

enum CharClass {
  Space = 0,
  Word = 1,
  Symbol = 2,
}

/** ASCII letters, digits and '_' are word characters, other ASCII non-space is a one-character token. */
function classOf(code: number): CharClass {
  if (code < 128) {
    if (
      (code >= 97 && code <= 122) ||
      (code >= 65 && code <= 90) ||
      (code >= 48 && code <= 57) ||
      code === 95
    )
      return CharClass.Word;
    return code <= 32 || code === 127 ? CharClass.Space : CharClass.Symbol;
  }
  // Non-ASCII: Unicode spaces and general punctuation (U+2000–U+206F) split words; anything else is text.
  if (code === 0xa0 || code === 0x3000 || code === 0xfeff || (code >= 0x2000 && code <= 0x206f))
    return CharClass.Space;
  return CharClass.Word;
}

/** ASCII upper case → lower case; other code units as they are. */
function lower(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

export class SelectionFeaturizer {
  /** Per bucket, the call number that last used it: distinct ids without a Set. */
  private readonly stamp: Uint32Array;
  private call = 0;

  constructor(
    readonly config: SelectionFeaturizerConfig,
    /** One weight per bucket, learned from the training prompts (0 where a bucket never occurred). */
    readonly idf: Float32Array,
  ) {
    if (idf.length !== config.buckets) {
      throw new Error(`idf has ${idf.length} entries, the featurizer ${config.buckets} buckets`);
    }
    this.stamp = new Uint32Array(config.buckets);
  }

  /** Distinct bucket ids of a prompt's words and word bigrams, in order of first occurrence. */
  ids(text: string): Int32Array {
    const { buckets, maxFeatures } = this.config;
    const end = Math.min(text.length, this.config.maxChars);
    this.call = (this.call + 1) >>> 0;
    if (this.call === 0) {
      this.stamp.fill(0);
      this.call = 1;
    }
    const out = new Int32Array(maxFeatures);
    let count = 0;
    const add = (hash: number): boolean => {
      const id = fmix32(hash) % buckets;
      if (this.stamp[id] !== this.call) {
        this.stamp[id] = this.call;
        out[count++] = id;
      }
      return count >= maxFeatures;
    };
    let previous = 0; // hash of the previous token, 0 at the start
    let i = 0;
    while (i < end) {
      const cls = classOf(text.charCodeAt(i));
      if (cls === CharClass.Space) {
        i++;
        continue;
      }
      let h = FNV_OFFSET;
      if (cls === CharClass.Symbol) {
        h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
        i++;
      } else {
        while (i < end && classOf(text.charCodeAt(i)) === CharClass.Word) {
          const c = lower(text.charCodeAt(i));
          h = Math.imul(Math.imul(h ^ (c & 0xff), FNV_PRIME) ^ (c >>> 8), FNV_PRIME);
          i++;
        }
      }
      if (add(h)) break;
      if (previous !== 0 && add(Math.imul(previous ^ 0x9e3779b9, FNV_PRIME) ^ h)) break;
      previous = h;
    }
    return out.slice(0, count);
  }

  vector(text: string): SparseVector {
    const ids = this.ids(text);
    const values = new Float32Array(ids.length);
    let norm = 0;
    for (let i = 0; i < ids.length; i++) {
      const w = this.idf[ids[i] as number] as number;
      values[i] = w;
      norm += w * w;
    }
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) * scale;
    }
    return { ids, values };
  }
}
