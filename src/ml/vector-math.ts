// Small numeric helpers shared by the runtime models and the trainer.

/** log-sum-exp of `logits / temperature`, stable. */
export function logSumExp(logits: ArrayLike<number>, temperature = 1): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < logits.length; k++) max = Math.max(max, (logits[k] ?? 0) / temperature);
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (let k = 0; k < logits.length; k++) sum += Math.exp((logits[k] ?? 0) / temperature - max);
  return max + Math.log(sum);
}

/** Cosine similarity of two unit (or zero) vectors: their dot product, clipped to [-1, 1]. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let dot = 0;
  for (let i = 0; i < n; i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return Number.isFinite(dot) ? Math.min(1, Math.max(-1, dot)) : 0;
}
