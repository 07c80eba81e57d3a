// Puts the built-in embedding model's cosines on the scale vLLM Semantic Router's thresholds were tuned for.
//
// The built-in model is a topic encoder over ReLU features: every cosine lies in [0, 1] and unrelated texts already
// score about SIMILARITY_FLOOR, where the peer's sentence encoder gives unrelated texts about 0. Knowledge-base
// similarities are therefore rescaled so that the floor maps to 0 and identity to 1; the peer's thresholds (0.55,
// 0.25, 0.7) and margins then keep their meaning. Measured in docs/signals-kb.md (bench/kb-eval.ts).

/** Median cosine of the built-in model between a benign everyday prompt and a knowledge-base exemplar. */
export const SIMILARITY_FLOOR = 0.83;

/** A cosine on the calibrated scale: (cosine − floor) / (1 − floor), clamped to [0, 1]. */
export function rescaleCosine(cosine: number, floor: number = SIMILARITY_FLOOR): number {
  if (!Number.isFinite(cosine)) return 0;
  const scaled = (cosine - floor) / (1 - floor);
  return Math.min(1, Math.max(0, scaled));
}
