// Shared, reference-counted ONNX Runtime sessions keyed by model file identity, each run inline or in a worker.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import { RouterError } from '../errors.ts';
import { InferenceWorkerPool } from './inference-worker-pool.ts';
import { sessionOptions } from './inference-worker-protocol.ts';
import { onnxRuntime } from './onnx-runtime.ts';
import { probeFeeds } from './probe-feeds.ts';

/** Named input or output tensors of one inference. */
export type Feeds = Record<string, ort.Tensor>;

export interface SessionThreadOptions {
  /** Threads used inside one operator; 1 unless told (the router runs many small models concurrently). */
  readonly intraOpNumThreads?: number;
  /** Threads used to run independent operators in parallel; 1 unless told. */
  readonly interOpNumThreads?: number;
}

/**
 * Where a model runs: `main` on the event loop (ONNX Runtime's `run` blocks its calling thread), `worker` in an
 * inference worker thread.
 */
export type Placement = 'main' | 'worker';

/** A placement, or `auto`: `worker` when a timed run of the loaded model exceeds the pool's threshold. */
export type PlacementPolicy = Placement | 'auto';

export interface AcquireOptions extends SessionThreadOptions {
  /** The pool's `placement` unless told. Holders asking for different policies get separate sessions. */
  readonly placement?: PlacementPolicy;
}

export interface OnnxSessionPoolOptions {
  /** Inference worker threads shared by every worker-placed model; 1 unless told. Started on first use. */
  readonly inferenceWorkers?: number;
  /** Placement of acquires that do not name one; `auto` unless told. */
  readonly placement?: PlacementPolicy;
  /** Under `auto`, models whose timed run takes longer than this many ms run in a worker; 1 unless told. */
  readonly workerThresholdMs?: number;
  /** Starts one inference worker (tests wrap it to observe or kill workers). */
  readonly spawnWorker?: () => Worker;
}

/**
 * A worker hop costs ~50–150 µs (structured clone both ways and two thread wake-ups), more than a built-in model's
 * whole inference (≈0.05–0.2 ms); a transformer export takes 5–100 ms, which would stall every other stream.
 */
const DEFAULT_WORKER_THRESHOLD_MS = 1;

/**
 * Timed runs of `auto`. The first pays lazy setup and a busy machine can stall any one run, so a model counts as
 * slow only when no run is under the threshold; a run after the first over CLEARLY_SLOW thresholds settles it.
 */
const PROBE_RUNS = 3;
const CLEARLY_SLOW = 5;

/** A model file that is missing, unreadable or not a loadable ONNX model; a policy validation error. */
export class ModelFileError extends RouterError {
  readonly file: string;

  constructor(file: string, problem: string, cause?: unknown) {
    super('invalid_policy', `model file ${file}: ${problem}`, { cause });
    this.file = file;
  }
}

/** An inference that failed; the signal that asked for it applies its on_error. */
export class InferenceError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InferenceError';
  }
}

/** Raised when a closed pool, or a handle released or of a closed pool, is used. */
export class SessionPoolClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SessionPoolClosedError';
  }
}

/** One policy generation's use of a shared session; release it when the generation is retired. */
export interface OnnxModelHandle {
  readonly file: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Where `run` computes: inline for models cheaper than a thread hop, else on an inference worker. */
  readonly placement: Placement;
  /** Runs the model; failures reject with InferenceError. */
  run(feeds: Feeds): Promise<Feeds>;
  /** Runs the model once and discards the result, so the first real request does not pay for lazy setup. */
  warmUp(feeds: Feeds): Promise<void>;
  /** Drops this reference; the native session is released when no handle uses it any more. Idempotent. */
  release(): Promise<void>;
}

/** A loaded model, wherever it runs. */
interface Runner {
  readonly placement: Placement;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Feeds): Promise<Feeds>;
  release(): Promise<void>;
}

interface Entry {
  readonly key: string;
  readonly runner: Promise<Runner>;
  refs: number;
}

function inlineRunner(session: ort.InferenceSession): Runner {
  return {
    placement: 'main',
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    run: (feeds) => session.run(feeds),
    release: () => session.release(),
  };
}

/**
 * Whether `session` is slower than `thresholdMs` per run, timed on zero inputs; a model whose cost cannot be
 * measured counts as slow. A slow model blocks the event loop here for two or three runs, once per load.
 */
async function isSlow(session: ort.InferenceSession, thresholdMs: number): Promise<boolean> {
  const feeds = probeFeeds(session.inputMetadata);
  if (feeds === undefined) return true;
  try {
    for (let k = 0; k < PROBE_RUNS; k++) {
      const started = performance.now();
      await session.run(feeds);
      const elapsed = performance.now() - started;
      if (elapsed <= thresholdMs) return false;
      if (k > 0 && elapsed > CLEARLY_SLOW * thresholdMs) return true;
    }
  } catch {
    return true;
  }
  return true;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Loads ONNX models by absolute path and shares one native session per (file, mtime, size, thread
 * options, placement policy) between every holder, so a policy reload that keeps a model reuses its warmed-up session.
 * Models slower than a worker hop run in a small pool of worker threads, so they never block the event loop.
 */
export class OnnxSessionPool {
  readonly #entries = new Map<string, Entry>();
  readonly #workers: InferenceWorkerPool;
  readonly #placement: PlacementPolicy;
  readonly #thresholdMs: number;
  #closed = false;

  constructor(options: OnnxSessionPoolOptions = {}) {
    this.#workers = new InferenceWorkerPool({
      size: options.inferenceWorkers ?? 1,
      ...(options.spawnWorker !== undefined && { spawn: options.spawnWorker }),
    });
    this.#placement = options.placement ?? 'auto';
    this.#thresholdMs = options.workerThresholdMs ?? DEFAULT_WORKER_THRESHOLD_MS;
  }

  /** Number of sessions loaded or loading. */
  get size(): number {
    return this.#entries.size;
  }

  async acquire(file: string, options: AcquireOptions = {}): Promise<OnnxModelHandle> {
    if (this.#closed) throw new SessionPoolClosedError(`cannot load ${file}: the session pool is closed`);
    if (!path.isAbsolute(file)) throw new ModelFileError(file, 'path must be absolute');
    const intra = options.intraOpNumThreads ?? 1;
    const inter = options.interOpNumThreads ?? 1;
    const placement = options.placement ?? this.#placement;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(file);
    } catch (error) {
      const problem = errorCode(error) === 'ENOENT' ? 'not found' : `cannot be read (${messageOf(error)})`;
      throw new ModelFileError(file, problem, error);
    }
    if (!info.isFile()) throw new ModelFileError(file, 'is not a regular file');
    if (this.#closed) throw new SessionPoolClosedError(`cannot load ${file}: the session pool is closed`);

    const key = JSON.stringify([file, info.mtimeMs, info.size, intra, inter, placement]);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { key, runner: this.#load(file, intra, inter, placement), refs: 0 };
      this.#entries.set(key, entry);
    }
    entry.refs += 1;
    let runner: Runner;
    try {
      runner = await entry.runner;
    } catch (error) {
      entry.refs -= 1;
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      if (this.#closed) {
        throw new SessionPoolClosedError(`cannot load ${file}: the session pool was closed while loading`);
      }
      throw error;
    }
    if (this.#closed) {
      throw new SessionPoolClosedError(`cannot load ${file}: the session pool was closed while loading`);
    }
    return this.#handle(file, entry, runner);
  }

  /**
   * Releases every native session and ends the inference workers (each after its current run); later `acquire`
   * and `run` calls fail with SessionPoolClosedError, runs still pending in a worker with InferenceError.
   */
  async close(): Promise<void> {
    this.#closed = true;
    // First, so runs still pending in a worker are rejected rather than waited for.
    const workersClosed = this.#workers.close();
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(
      entries.map(async (entry) => {
        try {
          await (await entry.runner).release();
        } catch {
          // A session that failed to load has nothing to release.
        }
      }),
    );
    await workersClosed;
  }

  async #load(file: string, intra: number, inter: number, placement: PlacementPolicy): Promise<Runner> {
    // Now, while models load before ready: later, the first tensor built on the main thread would stall it.
    onnxRuntime();
    if (placement === 'worker') return this.#loadInWorker(file, intra, inter);
    const session = await this.#loadInline(file, intra, inter);
    if (placement === 'main' || !(await isSlow(session, this.#thresholdMs))) return inlineRunner(session);
    try {
      return await this.#loadInWorker(file, intra, inter);
    } finally {
      await session.release();
    }
  }

  async #loadInWorker(file: string, intra: number, inter: number): Promise<Runner> {
    try {
      const model = await this.#workers.load({ file, intraOpNumThreads: intra, interOpNumThreads: inter });
      return {
        placement: 'worker',
        inputNames: model.inputNames,
        outputNames: model.outputNames,
        run: (feeds) => model.run(feeds),
        release: () => model.release(),
      };
    } catch (error) {
      throw new ModelFileError(file, `cannot be loaded in an inference worker (${messageOf(error)})`, error);
    }
  }

  async #loadInline(file: string, intra: number, inter: number): Promise<ort.InferenceSession> {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new ModelFileError(file, `cannot be read (${messageOf(error)})`, error);
    }
    try {
      return await onnxRuntime().InferenceSession.create(bytes, sessionOptions(intra, inter));
    } catch (error) {
      throw new ModelFileError(file, `is not a valid ONNX model (${messageOf(error)})`, error);
    }
  }

  #handle(file: string, entry: Entry, runner: Runner): OnnxModelHandle {
    let released = false;
    const pool = this;
    const run = async (feeds: Feeds): Promise<Feeds> => {
      if (released || pool.#entries.get(entry.key) !== entry) {
        throw new SessionPoolClosedError(`model ${file} was released`);
      }
      try {
        return await runner.run(feeds);
      } catch (error) {
        throw new InferenceError(`inference with ${file} failed: ${messageOf(error)}`, { cause: error });
      }
    };
    return {
      file,
      inputNames: runner.inputNames,
      outputNames: runner.outputNames,
      placement: runner.placement,
      run,
      async warmUp(feeds: Feeds): Promise<void> {
        await run(feeds);
      },
      async release(): Promise<void> {
        if (released) return;
        released = true;
        entry.refs -= 1;
        if (entry.refs > 0 || pool.#entries.get(entry.key) !== entry) return;
        pool.#entries.delete(entry.key);
        await runner.release();
      },
    };
  }
}
