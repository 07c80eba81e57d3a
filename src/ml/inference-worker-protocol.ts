// Messages between the session pool and its inference worker threads, and the tensor form that crosses them.
import type * as ort from 'onnxruntime-node';
import { onnxRuntime } from './onnx-runtime.ts';

/** An `ort.Tensor` as plain data: what structured clone can carry between threads. */
export interface WireTensor {
  readonly type: ort.Tensor.Type;
  readonly dims: readonly number[];
  readonly data: ort.Tensor['data'];
}

export type WireFeeds = Record<string, WireTensor>;

/** What a worker needs to open the same native session as the main thread would. */
export interface SessionSpec {
  readonly file: string;
  readonly intraOpNumThreads: number;
  readonly interOpNumThreads: number;
}

export type WorkerRequest =
  | { readonly kind: 'load'; readonly id: number; readonly model: number; readonly spec: SessionSpec }
  | { readonly kind: 'run'; readonly id: number; readonly model: number; readonly feeds: WireFeeds }
  | { readonly kind: 'release'; readonly id: number; readonly model: number }
  /** Releases every session and ends the thread once the current run is done; there is no reply. */
  | { readonly kind: 'close'; readonly id: number };

export type WorkerReply =
  | {
      readonly kind: 'loaded';
      readonly id: number;
      readonly inputNames: readonly string[];
      readonly outputNames: readonly string[];
    }
  | { readonly kind: 'result'; readonly id: number; readonly outputs: WireFeeds }
  | { readonly kind: 'released'; readonly id: number }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };

/** Session options shared by the main thread and the workers, so both compute bit-identical results. */
export function sessionOptions(intra: number, inter: number): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: intra,
    interOpNumThreads: inter,
    executionMode: inter > 1 ? 'parallel' : 'sequential',
    graphOptimizationLevel: 'all',
  };
}

/**
 * Plain-data form of `tensors`. With `owned`, numeric data is copied into fresh buffers listed in `transfer`, so
 * the receiver adopts them without a second copy; otherwise postMessage copies them and the caller's stay usable.
 */
export function toWire(
  tensors: Readonly<Record<string, ort.Tensor>>,
  owned = false,
): { feeds: WireFeeds; transfer: ArrayBuffer[] } {
  const feeds: WireFeeds = {};
  const transfer: ArrayBuffer[] = [];
  for (const [name, tensor] of Object.entries(tensors)) {
    let data = tensor.data;
    if (owned && ArrayBuffer.isView(data)) {
      data = data.slice() as typeof data;
      if (data.buffer instanceof ArrayBuffer) transfer.push(data.buffer);
    }
    feeds[name] = { type: tensor.type, dims: [...tensor.dims], data };
  }
  return { feeds, transfer };
}

type TensorFromWire = new (
  type: ort.Tensor.Type,
  data: ort.Tensor['data'],
  dims: readonly number[],
) => ort.Tensor;

/** `ort.Tensor`s of plain data received from another thread. */
export function fromWire(feeds: WireFeeds): Record<string, ort.Tensor> {
  // The overloads of ort.Tensor's constructor pair each type with its array; the wire already carries a valid pair.
  const Tensor = onnxRuntime().Tensor as unknown as TensorFromWire;
  const tensors: Record<string, ort.Tensor> = {};
  for (const [name, wire] of Object.entries(feeds))
    tensors[name] = new Tensor(wire.type, wire.data, wire.dims);
  return tensors;
}
