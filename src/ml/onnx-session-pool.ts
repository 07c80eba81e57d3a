// Shared, reference-counted ONNX Runtime sessions keyed by model file identity, plus request micro-batching.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { RouterError } from '../errors.ts';

/** Named input or output tensors of one inference. */
export type Feeds = Record<string, ort.Tensor>;

export interface SessionThreadOptions {
  /** Threads used inside one operator; 1 unless told (the router runs many small models concurrently). */
  readonly intraOpNumThreads?: number;
  /** Threads used to run independent operators in parallel; 1 unless told. */
  readonly interOpNumThreads?: number;
}

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
  /** Runs the model; ONNX Runtime computes on its own threads, off the event loop. */
  run(feeds: Feeds): Promise<Feeds>;
  /** Runs the model once and discards the result, so the first real request does not pay for lazy setup. */
  warmUp(feeds: Feeds): Promise<void>;
  /** Drops this reference; the native session is released when no handle uses it any more. Idempotent. */
  release(): Promise<void>;
}

interface Entry {
  readonly key: string;
  readonly session: Promise<ort.InferenceSession>;
  refs: number;
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
 * options) between every holder, so a policy reload that keeps a model reuses its warmed-up session.
 */
export class OnnxSessionPool {
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  /** Number of sessions loaded or loading. */
  get size(): number {
    return this.#entries.size;
  }

  async acquire(file: string, options: SessionThreadOptions = {}): Promise<OnnxModelHandle> {
    if (this.#closed) throw new SessionPoolClosedError(`cannot load ${file}: the session pool is closed`);
    if (!path.isAbsolute(file)) throw new ModelFileError(file, 'path must be absolute');
    const intra = options.intraOpNumThreads ?? 1;
    const inter = options.interOpNumThreads ?? 1;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(file);
    } catch (error) {
      const problem = errorCode(error) === 'ENOENT' ? 'not found' : `cannot be read (${messageOf(error)})`;
      throw new ModelFileError(file, problem, error);
    }
    if (!info.isFile()) throw new ModelFileError(file, 'is not a regular file');
    if (this.#closed) throw new SessionPoolClosedError(`cannot load ${file}: the session pool is closed`);

    const key = JSON.stringify([file, info.mtimeMs, info.size, intra, inter]);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { key, session: this.#load(file, intra, inter), refs: 0 };
      this.#entries.set(key, entry);
    }
    entry.refs += 1;
    let session: ort.InferenceSession;
    try {
      session = await entry.session;
    } catch (error) {
      entry.refs -= 1;
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      throw error;
    }
    if (this.#closed) {
      throw new SessionPoolClosedError(`cannot load ${file}: the session pool was closed while loading`);
    }
    return this.#handle(file, entry, session);
  }

  /** Releases every native session; later `acquire` and `run` calls fail with SessionPoolClosedError. */
  async close(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(
      entries.map(async (entry) => {
        try {
          await (await entry.session).release();
        } catch {
          // A session that failed to load has nothing to release.
        }
      }),
    );
  }

  async #load(file: string, intra: number, inter: number): Promise<ort.InferenceSession> {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new ModelFileError(file, `cannot be read (${messageOf(error)})`, error);
    }
    try {
      return await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: intra,
        interOpNumThreads: inter,
        executionMode: inter > 1 ? 'parallel' : 'sequential',
        graphOptimizationLevel: 'all',
      });
    } catch (error) {
      throw new ModelFileError(file, `is not a valid ONNX model (${messageOf(error)})`, error);
    }
  }

  #handle(file: string, entry: Entry, session: ort.InferenceSession): OnnxModelHandle {
    let released = false;
    const pool = this;
    const run = async (feeds: Feeds): Promise<Feeds> => {
      if (released || pool.#entries.get(entry.key) !== entry) {
        throw new SessionPoolClosedError(`model ${file} was released`);
      }
      try {
        return await session.run(feeds);
      } catch (error) {
        throw new InferenceError(`inference with ${file} failed: ${messageOf(error)}`, { cause: error });
      }
    };
    return {
      file,
      inputNames: session.inputNames,
      outputNames: session.outputNames,
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
        await session.release();
      },
    };
  }
}
