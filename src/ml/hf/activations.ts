// Turning logits into probabilities, in float64 for stability, written into float32 rows.

/** Softmax of `logits[from, from + n)` into `out`. */
export function softmaxInto(logits: Float32Array, from: number, n: number, out: Float32Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < n; k++) max = Math.max(max, logits[from + k] ?? 0);
  let total = 0;
  for (let k = 0; k < n; k++) total += Math.exp((logits[from + k] ?? 0) - max);
  for (let k = 0; k < n; k++) out[k] = Math.exp((logits[from + k] ?? 0) - max) / total;
}

/** Independent sigmoids of `logits[from, from + n)` into `out` (multi-label classification). */
export function sigmoidInto(logits: Float32Array, from: number, n: number, out: Float32Array): void {
  for (let k = 0; k < n; k++) out[k] = 1 / (1 + Math.exp(-(logits[from + k] ?? 0)));
}
