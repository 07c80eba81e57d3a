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

/** Positions of the non-zero entries of vectors known to be sparse (the lexical model's). */
const nonZeroPositions = new WeakMap<ArrayLike<number>, Uint32Array>();

/** Marks `vector` as sparse: `cosine` then multiplies only at `positions` (every non-zero entry, ascending). */
export function markSparse(vector: Float32Array, positions: Uint32Array): void {
  nonZeroPositions.set(vector, positions);
}

/** Cosine similarity of two unit (or zero) vectors: their dot product, clipped to [-1, 1]. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let dot = 0;
  const sparseA = nonZeroPositions.get(a);
  const sparseB = nonZeroPositions.get(b);
  const positions =
    sparseA && sparseB ? (sparseA.length <= sparseB.length ? sparseA : sparseB) : (sparseA ?? sparseB);
  if (positions) {
    for (let k = 0; k < positions.length; k++) {
      const i = positions[k] as number;
      if (i < n) dot += (a[i] ?? 0) * (b[i] ?? 0);
    }
  } else {
    for (let i = 0; i < n; i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  }
  return Number.isFinite(dot) ? Math.min(1, Math.max(-1, dot)) : 0;
}
