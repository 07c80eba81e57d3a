// Merges concurrent single-request inferences into one batched model run, then splits the outputs per caller.
import type * as ort from 'onnxruntime-node';
import { onnxRuntime } from './onnx-runtime.ts';
import { type Feeds, InferenceError } from './onnx-session-pool.ts';

/** Runs one (batched) inference, e.g. `OnnxModelHandle.run`. */
export type BatchRunner = (feeds: Feeds) => Promise<Feeds>;

export interface MicroBatcherOptions {
  /**
   * How long the first request of an idle batcher waits for company, in ms. 0 (the default) adds no latency: the
   * batch takes what arrived in the same event-loop turn, and under load the calls that queue while a run is in
   * flight form the next batch anyway.
   */
  readonly windowMs?: number;
  /** Rows (sum of callers' dim 0) that trigger a run at once; 32 unless told. */
  readonly maxBatch?: number;
}

interface Pending {
  readonly feeds: Feeds;
  readonly rows: number;
  /** Input names, element types and non-batch dims; only requests with equal signatures are stacked. */
  readonly signature: string;
  readonly resolve: (outputs: Feeds) => void;
  readonly reject: (error: unknown) => void;
}

type TensorData = ort.Tensor['data'];

interface TypedArrayLike {
  readonly length: number;
  set(source: ArrayLike<unknown>, offset: number): void;
  slice(start: number, end: number): TypedArrayLike;
}

function isTypedArray(data: TensorData): data is TensorData & TypedArrayLike {
  return ArrayBuffer.isView(data);
}

function concat(parts: TensorData[]): TensorData {
  const [first] = parts;
  if (first === undefined) throw new InferenceError('nothing to concatenate');
  if (!isTypedArray(first))
    return parts.flatMap((p) => Array.from(p as ArrayLike<unknown>)) as unknown as TensorData;
  const Ctor = first.constructor as new (length: number) => TypedArrayLike;
  const out = new Ctor(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part as ArrayLike<unknown>, offset);
    offset += part.length;
  }
  return out as unknown as TensorData;
}

function sliceData(data: TensorData, start: number, end: number): TensorData {
  if (isTypedArray(data)) return data.slice(start, end) as unknown as TensorData;
  return (data as readonly string[]).slice(start, end) as TensorData;
}

function rowsOf(feeds: Feeds): number {
  let rows: number | undefined;
  for (const [name, tensor] of Object.entries(feeds)) {
    const first = tensor.dims[0];
    if (first === undefined) throw new InferenceError(`input '${name}' has no batch dimension`);
    if (rows !== undefined && rows !== first) {
      throw new InferenceError(`inputs disagree on the batch dimension (${rows} vs ${first} for '${name}')`);
    }
    rows = first;
  }
  if (rows === undefined) throw new InferenceError('no inputs given');
  return rows;
}

function signatureOf(feeds: Feeds): string {
  return JSON.stringify(
    Object.keys(feeds)
      .sort()
      .map((name) => {
        const t = feeds[name];
        return t === undefined ? [name] : [name, t.type, t.dims.slice(1)];
      }),
  );
}

/**
 * Collects `infer` calls that arrive together (within `windowMs`, or until `maxBatch` rows) and runs them as one
 * inference with inputs stacked along dim 0. While a run is in flight, new calls queue and form the next
 * batch, so throughput adapts to load. A failed run rejects every caller of that batch with InferenceError.
 */
export class MicroBatcher {
  readonly #run: BatchRunner;
  readonly #windowMs: number;
  readonly #maxBatch: number;
  #pending: Pending[] = [];
  #pendingRows = 0;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #busy = false;

  constructor(run: BatchRunner, options: MicroBatcherOptions = {}) {
    this.#run = run;
    this.#windowMs = options.windowMs ?? 0;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 32);
  }

  /** Inference for one caller's rows (dim 0 of every input); outputs keep the caller's rows only. */
  infer(feeds: Feeds): Promise<Feeds> {
    let rows: number;
    try {
      rows = rowsOf(feeds);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<Feeds>((resolve, reject) => {
      this.#pending.push({ feeds, rows, signature: signatureOf(feeds), resolve, reject });
      this.#pendingRows += rows;
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#busy) return;
    if (this.#pendingRows >= this.#maxBatch) {
      this.#clearTimer();
      void this.#drain();
    } else if (this.#timer === undefined) {
      const fire = () => {
        this.#timer = undefined;
        void this.#drain();
      };
      this.#timer = this.#windowMs > 0 ? setTimeout(fire, this.#windowMs) : setImmediate(fire);
    }
  }

  #clearTimer(): void {
    if (this.#timer === undefined) {
      return;
    } else if ('hasRef' in this.#timer && 'refresh' in this.#timer) {
      clearTimeout(this.#timer);
    } else {
      clearImmediate(this.#timer);
    }
    this.#timer = undefined;
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    try {
      for (let batch = this.#take(); batch.length > 0; batch = this.#take()) await this.#runBatch(batch);
    } finally {
      this.#busy = false;
    }
  }

  /** The next batch: the oldest call plus later calls of the same signature, up to maxBatch rows. */
  #take(): Pending[] {
    const [head] = this.#pending;
    if (head === undefined) return [];
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    let rows = 0;
    for (const call of this.#pending) {
      if (call.signature === head.signature && (batch.length === 0 || rows + call.rows <= this.#maxBatch)) {
        batch.push(call);
        rows += call.rows;
      } else {
        rest.push(call);
      }
    }
    this.#pending = rest;
    this.#pendingRows -= rows;
    return batch;
  }

  async #runBatch(batch: Pending[]): Promise<void> {
    try {
      const [single] = batch;
      if (batch.length === 1 && single !== undefined) {
        single.resolve(await this.#run(single.feeds));
        return;
      }
      const outputs = await this.#run(stack(batch));
      const parts = split(outputs, batch);
      batch.forEach((call, k) => {
        call.resolve(parts[k] ?? {});
      });
    } catch (error) {
      const failure =
        error instanceof InferenceError
          ? error
          : new InferenceError(`batched inference failed`, { cause: error });
      for (const call of batch) call.reject(failure);
    }
  }
}

function stack(batch: readonly Pending[]): Feeds {
  const [head] = batch;
  if (head === undefined) return {};
  const rows = batch.reduce((n, call) => n + call.rows, 0);
  const feeds: Feeds = {};
  const { Tensor } = onnxRuntime();
  for (const [name, first] of Object.entries(head.feeds)) {
    const data = concat(batch.map((call) => call.feeds[name]?.data ?? first.data));
    feeds[name] = new Tensor(first.type, data, [rows, ...first.dims.slice(1)]);
  }
  return feeds;
}

function split(outputs: Feeds, batch: readonly Pending[]): Feeds[] {
  const rows = batch.reduce((n, call) => n + call.rows, 0);
  const parts: Feeds[] = batch.map(() => ({}));
  const { Tensor } = onnxRuntime();
  for (const [name, tensor] of Object.entries(outputs)) {
    if (tensor.dims[0] !== rows) {
      throw new InferenceError(
        `output '${name}' has dims [${tensor.dims.join(', ')}]; batching needs ${rows} rows in dim 0`,
      );
    }
    const rest = tensor.dims.slice(1);
    const rowSize = rest.reduce((a, b) => a * b, 1);
    let start = 0;
    batch.forEach((call, k) => {
      const end = start + call.rows * rowSize;
      const part = parts[k];
      if (part !== undefined) {
        part[name] = new Tensor(tensor.type, sliceData(tensor.data, start, end), [call.rows, ...rest]);
      }
      start = end;
    });
  }
  return parts;
}
