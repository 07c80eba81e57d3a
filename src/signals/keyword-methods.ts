// Approximate keyword matching for the `keywords` family, with vLLM Semantic Router's semantics: `bm25` (each keyword
// a document, the text the query), `ngram` (character n-gram similarity of each word, and of the whole text, to each
// keyword) and `fuzzy` (Levenshtein distance over word windows). Each reports which keywords of one rule are present.

import { allowedEdits } from './fuzzy-threshold.ts';

export type ApproximateMethod = 'bm25' | 'ngram' | 'fuzzy';

export interface ApproximateRule {
  readonly method: ApproximateMethod;
  readonly keywords: readonly string[];
  readonly caseSensitive: boolean;
  /** bm25: lowest BM25 score of a keyword that counts as present. */
  readonly bm25Threshold: number;
  /** ngram: lowest similarity in [0, 1] of a keyword that counts as present. */
  readonly ngramThreshold: number;
  /** ngram: characters per n-gram (the peer raises anything below 2 to 2). */
  readonly ngramArity: number;
  /** fuzzy: most Levenshtein edits (≤ 8), or a similarity percentage (above 8), see fuzzy-threshold.ts. */
  readonly fuzzyThreshold: number;
}

/** For one text, which keywords of the rule are present (1) or not (0), in keyword order. */
export type KeywordPresence = (text: string) => Uint8Array;

export function approximateMatcher(rule: ApproximateRule): KeywordPresence {
  switch (rule.method) {
    case 'bm25':
      return bm25Matcher(rule);
    case 'ngram':
      return ngramMatcher(rule);
    case 'fuzzy':
      return fuzzyMatcher(rule);
  }
}

function normalise(text: string, caseSensitive: boolean): string {
  return caseSensitive ? text : text.toLowerCase();
}

// ---- BM25 ------------------------------------------------------------------------------------------------------

/** Okapi BM25 parameters (the defaults of the `bm25` crate the peer uses). */
const BM25_K1 = 1.2;
const BM25_B = 0.75;

/** English stop words the peer's tokenizer drops (a common short list). */
const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be but by for from has have he her his i if in into is it its me my no not of on or our ' +
    'she so that the their them then there these they this to was we were what when where which who will with ' +
    'you your'
  ).split(' '),
);

/**
 * A light English stemmer (plural and -ing / -ed endings, doubled final consonants), so `debugging` meets `debug`
 * and `functions` meets `function`. The peer stems with Snowball; differences are on rarer endings.
 */
export function stem(word: string): string {
  let w = word;
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us')) {
    w = /(ch|sh|x|z)es$/.test(w) ? w.slice(0, -2) : w.slice(0, -1);
  }
  for (const suffix of ['ing', 'ed']) {
    if (w.length - suffix.length >= 3 && w.endsWith(suffix)) {
      w = w.slice(0, -suffix.length);
      if (/([b-df-hj-np-tv-z])\1$/.test(w) && !/(ll|ss|zz)$/.test(w)) w = w.slice(0, -1);
      break;
    }
  }
  return w;
}

function bm25Tokens(text: string): string[] {
  const tokens: string[] = [];
  for (const word of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (word.length === 0 || STOP_WORDS.has(word)) continue;
    tokens.push(stem(word));
  }
  return tokens;
}

function bm25Matcher(rule: ApproximateRule): KeywordPresence {
  const documents = rule.keywords.map((keyword) => {
    const counts = new Map<string, number>();
    const tokens = bm25Tokens(normalise(keyword, rule.caseSensitive));
    for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
    return { counts, length: tokens.length };
  });
  const total = documents.length;
  const averageLength = documents.reduce((sum, d) => sum + d.length, 0) / Math.max(1, total) || 1;
  const documentFrequency = new Map<string, number>();
  for (const { counts } of documents)
    for (const token of counts.keys()) documentFrequency.set(token, (documentFrequency.get(token) ?? 0) + 1);
  const idf = (token: string) => {
    const n = documentFrequency.get(token) ?? 0;
    return Math.log(1 + (total - n + 0.5) / (n + 0.5));
  };
  return (text) => {
    const query = new Set(bm25Tokens(normalise(text, rule.caseSensitive)));
    return Uint8Array.from(documents, ({ counts, length }) => {
      let score = 0;
      for (const token of query) {
        const tf = counts.get(token);
        if (tf === undefined) continue;
        const norm = BM25_K1 * (1 - BM25_B + (BM25_B * length) / averageLength);
        score += (idf(token) * tf * (BM25_K1 + 1)) / (tf + norm);
      }
      return score > 0 && score >= rule.bm25Threshold ? 1 : 0;
    });
  };
}

// ---- n-grams -----------------------------------------------------------------------------------------------------

/** ngrammatic's default warp: similarity = (all² − (all − same)²) / all², kinder to partial overlaps than same/all. */
const NGRAM_WARP = 2;
const PAD = '\u0000';

function ngramCounts(text: string, arity: number): Map<string, number> {
  const padding = PAD.repeat(arity - 1);
  const padded = `${padding}${text}${padding}`;
  const counts = new Map<string, number>();
  // Code points, so a character outside the BMP is one character as in the peer (Rust chars).
  const chars = padded.length === [...padded].length ? undefined : Array.from(padded);
  const length = chars ? chars.length : padded.length;
  for (let i = 0; i + arity <= length; i += 1) {
    const gram = chars ? chars.slice(i, i + arity).join('') : padded.slice(i, i + arity);
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}

interface Grams {
  readonly counts: ReadonlyMap<string, number>;
  readonly size: number;
}

function grams(text: string, arity: number): Grams {
  const counts = ngramCounts(text, arity);
  let size = 0;
  for (const count of counts.values()) size += count;
  return { counts, size };
}

function warped(same: number, all: number): number {
  if (all === 0) return 0;
  return (all ** NGRAM_WARP - (all - same) ** NGRAM_WARP) / all ** NGRAM_WARP;
}

/** Warped n-gram similarity in [0, 1] of two gram multisets. */
export function ngramSimilarity(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  return gramSimilarity({ counts: a, size: sumOf(a) }, { counts: b, size: sumOf(b) });
}

function sumOf(counts: ReadonlyMap<string, number>): number {
  let size = 0;
  for (const count of counts.values()) size += count;
  return size;
}

function gramSimilarity(a: Grams, b: Grams): number {
  const [small, large] = a.counts.size <= b.counts.size ? [a, b] : [b, a];
  let same = 0;
  for (const [gram, count] of small.counts) same += Math.min(count, large.counts.get(gram) ?? 0);
  return warped(same, a.size + b.size - same);
}

/** Words as the peer splits them for n-gram matching: letters, digits, `_` and `-`. */
function ngramWords(text: string): string[] {
  return text.split(/[^\p{L}\p{N}_-]+/u).filter((word) => word.length > 0);
}

function ngramMatcher(rule: ApproximateRule): KeywordPresence {
  const arity = Math.max(2, rule.ngramArity);
  const keywords = rule.keywords.map((k) => grams(normalise(k, rule.caseSensitive), arity));
  // gram → the keywords holding it, with their counts: a word's shared grams are summed in one pass over its grams.
  const postings = new Map<string, [number, number][]>();
  keywords.forEach(({ counts }, index) => {
    for (const [gram, count] of counts) {
      const list = postings.get(gram) ?? [];
      list.push([index, count]);
      postings.set(gram, list);
    }
  });
  return (text) => {
    const input = normalise(text, rule.caseSensitive);
    const present = new Uint8Array(keywords.length);
    const same = new Float64Array(keywords.length);
    for (const word of new Set(ngramWords(input))) {
      const wordGrams = grams(word, arity);
      same.fill(0);
      for (const [gram, count] of wordGrams.counts)
        for (const [index, keywordCount] of postings.get(gram) ?? [])
          same[index] = (same[index] as number) + Math.min(count, keywordCount);
      keywords.forEach((keyword, index) => {
        const shared = same[index] as number;
        if (shared > 0 && warped(shared, wordGrams.size + keyword.size - shared) >= rule.ngramThreshold)
          present[index] = 1;
      });
    }
    // The peer's phrase pass compares the whole text too. Its similarity is at most warped(min, max) of the two
    // gram counts (every gram of the smaller shared), so a text much longer than the keyword is never gram-counted.
    const textSize = [...input].length + arity - 1;
    let whole: Grams | undefined;
    keywords.forEach((keyword, index) => {
      if (present[index]) return;
      const bound = warped(Math.min(textSize, keyword.size), Math.max(textSize, keyword.size));
      if (bound < rule.ngramThreshold) return;
      whole ??= grams(input, arity);
      if (gramSimilarity(whole, keyword) >= rule.ngramThreshold) present[index] = 1;
    });
    return present;
  };
}

// ---- fuzzy (Levenshtein) -----------------------------------------------------------------------------------------

/** Edit distance over UTF-16 units, giving up (returning limit + 1) once every path exceeds `limit`. */
export function boundedLevenshtein(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = new Uint32Array(b.length + 1).map((_, j) => j);
  let current = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i += 1) {
    current[0] = i;
    let rowMin = i;
    const code = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j += 1) {
      const cost = code === b.charCodeAt(j - 1) ? 0 : 1;
      const value = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > limit) return limit + 1;
    [previous, current] = [current, previous];
  }
  return previous[b.length] as number;
}

function fuzzyMatcher(rule: ApproximateRule): KeywordPresence {
  const keywords = rule.keywords.map((keyword) => {
    const words = ngramWords(normalise(keyword, rule.caseSensitive));
    return { span: words.length, text: words.join(' ') };
  });
  return (text) => {
    const words = ngramWords(normalise(text, rule.caseSensitive));
    const windowsBySpan = new Map<number, Set<string>>();
    const windowsOf = (span: number) => {
      let windows = windowsBySpan.get(span);
      if (!windows) {
        windows = new Set();
        for (let start = 0; start + span <= words.length; start += 1)
          windows.add(span === 1 ? (words[start] as string) : words.slice(start, start + span).join(' '));
        windowsBySpan.set(span, windows);
      }
      return windows;
    };
    return Uint8Array.from(keywords, (keyword) => {
      if (keyword.span === 0) return 0;
      for (const window of windowsOf(keyword.span)) {
        const limit = allowedEdits(rule.fuzzyThreshold, keyword.text.length, window.length);
        if (boundedLevenshtein(window, keyword.text, limit) <= limit) return 1;
      }
      return 0;
    });
  };
}
