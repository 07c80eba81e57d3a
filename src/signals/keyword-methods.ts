// Approximate keyword matching for the `keywords` family, with vLLM Semantic Router's semantics: `bm25` (each keyword
// a document, the text the query), `ngram` (character n-gram similarity of each word, and of the whole text, to each
// keyword) and `fuzzy` (Levenshtein distance over word windows). Each reports which keywords of one rule are present.

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
  /** fuzzy: most Levenshtein edits between a keyword and the words of the text. */
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
  const chars = Array.from(`${padding}${text}${padding}`);
  const counts = new Map<string, number>();
  for (let i = 0; i + arity <= chars.length; i += 1) {
    const gram = chars.slice(i, i + arity).join('');
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}

/** Warped n-gram similarity in [0, 1] of two gram multisets. */
export function ngramSimilarity(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let same = 0;
  let sizeA = 0;
  let sizeB = 0;
  for (const count of a.values()) sizeA += count;
  for (const [gram, count] of b) {
    sizeB += count;
    same += Math.min(count, a.get(gram) ?? 0);
  }
  const all = sizeA + sizeB - same;
  if (all === 0) return 0;
  return (all ** NGRAM_WARP - (all - same) ** NGRAM_WARP) / all ** NGRAM_WARP;
}

/** Words as the peer splits them for n-gram matching: letters, digits, `_` and `-`. */
function ngramWords(text: string): string[] {
  return text.split(/[^\p{L}\p{N}_-]+/u).filter((word) => word.length > 0);
}

function ngramMatcher(rule: ApproximateRule): KeywordPresence {
  const arity = Math.max(2, rule.ngramArity);
  const keywords = rule.keywords.map((k) => ngramCounts(normalise(k, rule.caseSensitive), arity));
  return (text) => {
    const input = normalise(text, rule.caseSensitive);
    const present = new Uint8Array(keywords.length);
    const candidates = [...new Set(ngramWords(input))].map((word) => ngramCounts(word, arity));
    // Multi-word keywords are compared with the whole text too (the peer's phrase pass).
    candidates.push(ngramCounts(input, arity));
    keywords.forEach((keyword, index) => {
      for (const candidate of candidates) {
        if (ngramSimilarity(candidate, keyword) >= rule.ngramThreshold) {
          present[index] = 1;
          return;
        }
      }
    });
    return present;
  };
}

// ---- fuzzy (Levenshtein) -----------------------------------------------------------------------------------------

/** Edit distance, giving up (returning limit + 1) once every path exceeds `limit`. */
export function boundedLevenshtein(a: readonly string[], b: readonly string[], limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] as number;
}

function fuzzyMatcher(rule: ApproximateRule): KeywordPresence {
  const keywords = rule.keywords.map((keyword) => {
    const words = ngramWords(normalise(keyword, rule.caseSensitive));
    return { words, chars: Array.from(words.join(' ')) };
  });
  return (text) => {
    const words = ngramWords(normalise(text, rule.caseSensitive));
    return Uint8Array.from(keywords, (keyword) => {
      const span = keyword.words.length;
      if (span === 0) return 0;
      const seen = new Set<string>();
      for (let start = 0; start + span <= words.length; start += 1) {
        const window = words.slice(start, start + span).join(' ');
        if (seen.has(window)) continue;
        seen.add(window);
        if (boundedLevenshtein(Array.from(window), keyword.chars, rule.fuzzyThreshold) <= rule.fuzzyThreshold)
          return 1;
      }
      return 0;
    });
  };
}
