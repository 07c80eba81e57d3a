// Worker threads that own ONNX Runtime sessions and run them off the main event loop; a crashed worker is
// replaced on next use and its pending calls are rejected.
import { Worker } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import {
  fromWire,
  type SessionSpec,
  toWire,
  type WorkerReply,
  type WorkerRequest,
} from './inference-worker-protocol.ts';

type Tensors = Record<string, ort.Tensor>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type RequestBody = DistributiveOmit<WorkerRequest, 'id'>;

/** Starts an inference worker: the compiled `.js` sibling, or from source the `.ts` one with tsx registered. */
export function spawnInferenceWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./inference-worker.js', here));
  // Node 20 applies neither the parent's `--import tsx` nor vitest's transform to worker threads (as in
  // bench/load-generator.ts): the worker registers tsx, then loads the module.
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./inference-worker.ts', here).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => {
  tsx.register();
  return import(${JSON.stringify(entry)});
});`;
  return new Worker(bootstrap, { eval: true });
}

export interface InferenceWorkerPoolOptions {
  /** Worker threads; 1 unless told. Each starts on first use. */
  readonly size?: number;
  /** Starts one worker; `spawnInferenceWorker` unless told (tests wrap it to observe or kill workers). */
  readonly spawn?: () => Worker;
}

interface Call {
  readonly resolve: (reply: WorkerReply) => void;
  readonly reject: (error: Error) => void;
}

/** One worker thread; `generation` counts the workers lost, so models know when to load themselves again. */
class WorkerSlot {
  readonly #spawn: () => Worker;
  readonly #calls = new Map<number, Call>();
  #worker: Worker | undefined;
  #nextId = 1;
  #closed = false;
  generation = 0;
  models = 0;

  constructor(spawn: () => Worker) {
    this.#spawn = spawn;
  }

  /** Whether the worker of `generation` is still running. */
  alive(generation: number): boolean {
    return this.#worker !== undefined && generation === this.generation;
  }

  request(body: RequestBody): Promise<WorkerReply> {
    if (this.#closed) return Promise.reject(new Error('the inference worker pool is closed'));
    const worker = this.#ensure();
    const id = this.#nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      // Referenced only while calls are pending: an idle pool never keeps the process alive.
      if (this.#calls.size === 1) worker.ref();
      try {
        worker.postMessage({ ...body, id });
      } catch (error) {
        this.#settle(id, error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /**
   * Rejects the pending calls and lets the worker end after its current run: `worker.terminate()` during a native
   * ONNX Runtime call aborts the whole process (onnxruntime-node throws into a terminating environment).
   */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (worker === undefined) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    this.#lose(worker, 'was stopped: the session pool is closed');
    worker.ref();
    worker.postMessage({ kind: 'close', id: 0 } satisfies WorkerRequest);
    await exited;
  }

  #ensure(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = this.#spawn();
    let failure = '';
    worker.on('message', (reply: WorkerReply) => {
      this.#settle(reply.id, reply.kind === 'failed' ? new Error(reply.message) : reply);
    });
    // A reply that cannot be deserialized names no call: fail them all rather than leave one hanging.
    worker.on('messageerror', (error) =>
      this.#failAll(new Error(`inference worker reply unreadable: ${error.message}`)),
    );
    worker.on('error', (error) => {
      failure = `: ${error.message}`;
    });
    worker.on('exit', (code) => this.#lose(worker, `crashed (exit code ${code}${failure})`));
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #settle(id: number, outcome: WorkerReply | Error): void {
    const call = this.#calls.get(id);
    if (call === undefined) return;
    this.#calls.delete(id);
    if (this.#calls.size === 0) this.#worker?.unref();
    if (outcome instanceof Error) call.reject(outcome);
    else call.resolve(outcome);
  }

  #lose(worker: Worker, reason: string): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    this.generation += 1;
    this.#failAll(new Error(`inference worker ${reason}`));
  }

  #failAll(error: Error): void {
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    this.#worker?.unref();
    for (const call of calls) call.reject(error);
  }
}

/** A session loaded in one worker; after a crash it is loaded again in the replacement worker on next use. */
export class WorkerModel {
  readonly #slot: WorkerSlot;
  readonly #id: number;
  readonly #spec: SessionSpec;
  #loaded: Promise<void> | undefined;
  #generation = -1;
  #released = false;
  inputNames: readonly string[] = [];
  outputNames: readonly string[] = [];

  constructor(slot: WorkerSlot, id: number, spec: SessionSpec) {
    this.#slot = slot;
    this.#id = id;
    this.#spec = spec;
    slot.models += 1;
  }

  async run(feeds: Readonly<Tensors>): Promise<Tensors> {
    if (this.#released) throw new Error(`model ${this.#spec.file} was released`);
    // A worker lost after the load bumps the generation: load again in its replacement.
    do await this.load();
    while (this.#generation !== this.#slot.generation);
    const reply = await this.#slot.request({ kind: 'run', model: this.#id, feeds: toWire(feeds).feeds });
    if (reply.kind !== 'result') throw new Error(`inference worker answered '${reply.kind}' to a run`);
    return fromWire(reply.outputs);
  }

  /** Loads the session in the slot's current worker, unless it is there already. */
  load(): Promise<void> {
    if (this.#loaded === undefined || this.#generation !== this.#slot.generation) {
      this.#generation = this.#slot.generation;
      this.#loaded = this.#slot.request({ kind: 'load', model: this.#id, spec: this.#spec }).then((reply) => {
        if (reply.kind !== 'loaded') throw new Error(`inference worker answered '${reply.kind}' to a load`);
        this.inputNames = reply.inputNames;
        this.outputNames = reply.outputNames;
      });
    }
    return this.#loaded;
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#slot.models -= 1;
    if (this.#loaded === undefined || !this.#slot.alive(this.#generation)) return;
    await this.#loaded
      .then(() => this.#slot.request({ kind: 'release', model: this.#id }))
      .catch(() => undefined);
  }
}

/** A fixed number of inference workers; each model is loaded into the one holding the fewest models. */
export class InferenceWorkerPool {
  readonly #slots: WorkerSlot[];
  #nextModel = 1;
  #closed = false;

  constructor(options: InferenceWorkerPoolOptions = {}) {
    const size = Math.max(1, Math.floor(options.size ?? 1));
    const spawn = options.spawn ?? spawnInferenceWorker;
    this.#slots = Array.from({ length: size }, () => new WorkerSlot(spawn));
  }

  /** Opens `spec` in a worker; rejects with the worker's error when the model cannot be loaded there. */
  async load(spec: SessionSpec): Promise<WorkerModel> {
    if (this.#closed) throw new Error('the inference worker pool is closed');
    const slot = this.#slots.reduce((best, s) => (s.models < best.models ? s : best));
    const model = new WorkerModel(slot, this.#nextModel++, spec);
    try {
      await model.load();
    } catch (error) {
      await model.release();
      throw error;
    }
    return model;
  }

  /** Ends every worker once its current run is done; pending calls are rejected at once. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((slot) => slot.close()));
  }
}
