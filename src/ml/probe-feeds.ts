// Synthetic inputs for timing a model whose real inputs the session pool does not know.
import type * as ort from 'onnxruntime-node';
import { fromWire, type WireFeeds } from './inference-worker-protocol.ts';

/** Length given to symbolic dims other than a leading (batch) one: a short prompt's tokens. */
export const PROBE_LENGTH = 16;

const ZEROS: Partial<Record<ort.Tensor.Type, (length: number) => ort.Tensor['data']>> = {
  float32: (n) => new Float32Array(n),
  float64: (n) => new Float64Array(n),
  float16: (n) => new Uint16Array(n),
  int8: (n) => new Int8Array(n),
  uint8: (n) => new Uint8Array(n),
  bool: (n) => new Uint8Array(n),
  int16: (n) => new Int16Array(n),
  uint16: (n) => new Uint16Array(n),
  int32: (n) => new Int32Array(n),
  uint32: (n) => new Uint32Array(n),
  int64: (n) => new BigInt64Array(n),
  uint64: (n) => new BigUint64Array(n),
};

/**
 * Zero-filled feeds shaped as the model declares its inputs: a symbolic dim is 1 where it first appears leading a
 * shape, else PROBE_LENGTH (equal names get equal sizes). Undefined for inputs that cannot be synthesized.
 */
export function probeFeeds(
  inputs: readonly ort.InferenceSession.ValueMetadata[],
): Record<string, ort.Tensor> | undefined {
  const symbols = new Map<string, number>();
  const feeds: WireFeeds = {};
  for (const input of inputs) {
    if (!input.isTensor) return undefined;
    const zeros = ZEROS[input.type];
    if (zeros === undefined) return undefined;
    const dims = input.shape.map((dim, axis) => {
      if (typeof dim === 'number') return dim;
      if (dim === '') return axis === 0 ? 1 : PROBE_LENGTH;
      const size = symbols.get(dim) ?? (axis === 0 ? 1 : PROBE_LENGTH);
      symbols.set(dim, size);
      return size;
    });
    feeds[input.name] = { type: input.type, dims, data: zeros(dims.reduce((n, d) => n * d, 1)) };
  }
  return fromWire(feeds);
}
