// How alike two user turns are, for the `reasks` family: character-trigram cosine, calibrated to the peer's scale.
//
// The built-in embedding model is a topic encoder: two different questions about one topic score as high as a
// repeated question (AUC 0.62 on CLINC150 same- vs different-intent pairs, against 0.84 for trigrams; see
// docs/signals-conversation.md and bench/reask-eval.ts), so a re-ask is measured by wording instead.

/** Raw trigram cosine that reads as the peer's default threshold 0.8 (best Youden J on SICK's train split). */
export const RAW_AT_DEFAULT_THRESHOLD = 0.65;
/** The peer's default `threshold` of a reask rule. */
export const DEFAULT_REASK_THRESHOLD = 0.8;

/** Lower-cased words and numbers of any script, single-spaced, with a space at each end. */
function normalise(text: string): string {
  const words = text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return words === '' ? '' : ` ${words} `;
}

/** Counts of the character trigrams of a text's normalised form (a text is read as code points). */
export function trigramCounts(text: string): Map<string, number> {
  const chars = [...normalise(text)];
  const counts = new Map<string, number>();
  for (let i = 0; i + 3 <= chars.length; i++) {
    const gram = chars[i] + (chars[i + 1] as string) + (chars[i + 2] as string);
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}

/** Cosine of two trigram count vectors, in [0, 1]; 0 when either text has no words. */
export function trigramCosine(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (const [gram, count] of a) {
    normA += count * count;
    dot += count * (b.get(gram) ?? 0);
  }
  for (const count of b.values()) normB += count * count;
  return normA === 0 || normB === 0 ? 0 : Math.min(1, dot / Math.sqrt(normA * normB));
}

/**
 * Maps a raw trigram cosine onto the peer's similarity scale: piecewise linear through (0, 0),
 * (RAW_AT_DEFAULT_THRESHOLD, 0.8) and (1, 1), so a rule's `threshold: 0.8` means "as alike as a paraphrase".
 */
export function calibrateSimilarity(raw: number): number {
  if (raw <= RAW_AT_DEFAULT_THRESHOLD) return (raw / RAW_AT_DEFAULT_THRESHOLD) * DEFAULT_REASK_THRESHOLD;
  return (
    DEFAULT_REASK_THRESHOLD +
    ((raw - RAW_AT_DEFAULT_THRESHOLD) / (1 - RAW_AT_DEFAULT_THRESHOLD)) * (1 - DEFAULT_REASK_THRESHOLD)
  );
}

/** Calibrated similarity of two turns, in [0, 1]. */
export function turnSimilarity(a: string, b: string): number {
  return calibrateSimilarity(trigramCosine(trigramCounts(a), trigramCounts(b)));
}
