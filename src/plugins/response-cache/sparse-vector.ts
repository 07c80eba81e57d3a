// The lexical model's vectors are mostly zeros (a sentence touches a few hundred of 4096 dimensions): the cache
// keeps only their non-zero entries, and compares a dense query against them entry by entry.

export interface SparseVector {
  readonly positions: Uint16Array;
  readonly values: Float32Array;
}

export function toSparse(dense: Float32Array): SparseVector {
  let count = 0;
  for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) count++;
  const positions = new Uint16Array(count);
  const values = new Float32Array(count);
  let k = 0;
  for (let i = 0; i < dense.length; i++) {
    const value = dense[i] as number;
    if (value === 0) continue;
    positions[k] = i;
    values[k] = value;
    k++;
  }
  return { positions, values };
}

/** Dot product of a dense vector with a sparse one (both unit-norm: their cosine). */
export function sparseDot(dense: Float32Array, sparse: SparseVector): number {
  const { positions, values } = sparse;
  let dot = 0;
  for (let k = 0; k < positions.length; k++)
    dot += (dense[positions[k] as number] as number) * (values[k] as number);
  return dot;
}

export function sparseBytes(vector: SparseVector): number {
  return vector.positions.byteLength + vector.values.byteLength;
}
