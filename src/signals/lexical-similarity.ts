// Bag-of-words plus character-trigram vectors and their cosine: how close a short request is to a few example
// phrasings. On short assistant queries this separates intents far better than the built-in topic embedder
// (figures in docs/signals-preferences-modality.md).

/** Function words that say nothing about what a request asks for. */
const STOP_WORDS = new Set(
  'a an the i me my you your is are was be to of in on for and or it this that what how can do does please could would will with at by from'.split(
    ' ',
  ),
);

/** Weight of one character trigram relative to one whole word. */
const TRIGRAM_WEIGHT = 0.5;

export type LexicalVector = ReadonlyMap<string, number>;

function words(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}']+/gu) ?? []
  ).filter((w) => !STOP_WORDS.has(w));
}

/** A unit-norm sparse vector of the text's content words and their padded character trigrams. */
export function lexicalVector(text: string): LexicalVector {
  const counts = new Map<string, number>();
  const add = (key: string, weight: number) => counts.set(key, (counts.get(key) ?? 0) + weight);
  for (const word of words(text)) {
    add(`w:${word}`, 1);
    const padded = [...` ${word} `];
    for (let i = 0; i + 3 <= padded.length; i++) add(`c:${padded.slice(i, i + 3).join('')}`, TRIGRAM_WEIGHT);
  }
  let norm = 0;
  for (const v of counts.values()) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm === 0) return counts;
  for (const [k, v] of counts) counts.set(k, v / norm);
  return counts;
}

/** Cosine similarity of two unit vectors, in [0, 1] (0 when either is empty). */
export function lexicalCosine(a: LexicalVector, b: LexicalVector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let sum = 0;
  for (const [key, value] of small) {
    const other = large.get(key);
    if (other !== undefined) sum += value * other;
  }
  return Math.min(1, sum);
}
