// Large request bodies are decoded (UTF-8, depth check, JSON.parse, token estimate) on a worker thread, so one
// multi-megabyte body never stalls the other streams; the router's event loop only receives the parsed value.
// A worker that dies or fails leaves the body to the in-loop decoder (counted); small bodies never come here.
import { Worker } from 'node:worker_threads';
import { InvalidRequestError } from '../errors.ts';
import { yieldToEventLoop } from '../event-loop.ts';
import type { LlmApi } from './apis/types.ts';
import type { DecodeReply, DecodeRequest } from './body-decode-messages.ts';
import { rememberTopLevelMembers } from './body-rewrite.ts';
import { rememberRewriteSpace } from './rewrite-space.ts';
import { toShared } from './shared-bytes.ts';

/** Bodies from this size on are decoded off the event loop (below, in-loop decoding costs well under 1 ms). */
export const OFF_LOOP_BODY_BYTES = 256 * 1024;

/** A body the worker decoded: the parsed JSON object and the request's prompt-token estimate. */
export interface DecodedBody {
  readonly body: Record<string, unknown>;
  readonly promptTokens: number;
}

export interface BodyDecoderStats {
  /** Bodies decoded by the worker (invalid ones included). */
  readonly decoded: number;
  /** Bodies left to the in-loop decoder because the worker failed, died or could not start. */
  readonly fallbacks: number;
  /** Workers lost (crashed or stopped) while the decoder was open. */
  readonly workersLost: number;
}

/** Starts the worker: the compiled `.js` sibling, or from source the `.ts` one with tsx registered. */
export function spawnBodyDecodeWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./body-decode-worker.js', here));
  // Node 20 applies neither `--import tsx` nor vitest's transform to worker threads (see spawnInferenceWorker).
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./body-decode-worker.ts', here).href;
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`,
    { eval: true },
  );
}

/** Why a body was decoded in-loop: the worker could not start, died (or its reply was unreadable), or failed. */
export type DecodeFallbackReason = 'no_worker' | 'worker_lost' | 'worker_failed';

interface Pending {
  readonly resolve: (reply: DecodeReply | undefined) => void;
}

export class OffLoopBodyDecoder {
  readonly #spawn: () => Worker;
  readonly #onFallback: ((reason: DecodeFallbackReason) => void) | undefined;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #nextId = 1;
  #closed = false;
  #decoded = 0;
  #fallbacks = 0;
  #workersLost = 0;

  constructor(
    options: {
      readonly spawn?: () => Worker;
      /** Told each time a body is decoded in-loop instead (metrics, logs). */
      readonly onFallback?: (reason: DecodeFallbackReason) => void;
    } = {},
  ) {
    this.#spawn = options.spawn ?? spawnBodyDecodeWorker;
    this.#onFallback = options.onFallback;
  }

  get stats(): BodyDecoderStats {
    return { decoded: this.#decoded, fallbacks: this.#fallbacks, workersLost: this.#workersLost };
  }

  /**
   * The body on a SharedArrayBuffer (what the rewrite reads) and, decoded, what the in-loop decoder would give;
   * `decoded` is undefined when the worker could not decode it (the caller then decodes in-loop, same answer).
   * Throws InvalidRequestError exactly as the in-loop decoder would.
   */
  async decode(
    bytes: Uint8Array,
    api: LlmApi,
    maxDepth: number,
  ): Promise<{ bytes: Uint8Array; decoded: DecodedBody | undefined }> {
    const shared = await toShared(bytes);
    const worker = this.#ensureWorker();
    const reply = worker && (await this.#request(worker, shared, api, maxDepth));
    // The reply was deserialized in this turn: routing goes on after the next poll for I/O (a setImmediate alone
    // would run in this very loop iteration).
    await yieldToEventLoop();
    await yieldToEventLoop();
    if (reply === undefined || reply.kind === 'failed') {
      this.#fallbacks++;
      this.#onFallback?.(worker === undefined ? 'no_worker' : reply ? 'worker_failed' : 'worker_lost');
      return { bytes: shared, decoded: undefined };
    }
    this.#decoded++;
    if (reply.kind === 'invalid') {
      throw new InvalidRequestError(
        reply.message,
        reply.code as ConstructorParameters<typeof InvalidRequestError>[1],
      );
    }
    if (reply.members) rememberTopLevelMembers(shared, reply.members);
    if (reply.rewriteSpace) rememberRewriteSpace(shared, reply.rewriteSpace);
    return { bytes: shared, decoded: { body: reply.body, promptTokens: reply.promptTokens } };
  }

  /** Stops the worker; later bodies are decoded in-loop. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#settleAll();
    if (worker) await worker.terminate();
  }

  #request(
    worker: Worker,
    bytes: Uint8Array,
    api: LlmApi,
    maxDepth: number,
  ): Promise<DecodeReply | undefined> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, { resolve });
      // Referenced only while a body is being decoded: an idle decoder never keeps the process alive.
      if (this.#pending.size === 1) worker.ref();
      try {
        worker.postMessage({ id, bytes, api, maxDepth } satisfies DecodeRequest);
      } catch {
        this.#settle(id, undefined);
      }
    });
  }

  #ensureWorker(): Worker | undefined {
    if (this.#closed) return undefined;
    if (this.#worker) return this.#worker;
    let worker: Worker;
    try {
      worker = this.#spawn();
    } catch {
      return undefined;
    }
    worker.on('message', (reply: DecodeReply) => this.#settle(reply.id, reply));
    // A reply that cannot be read names no body: every pending one falls back rather than hang.
    worker.on('messageerror', () => this.#settleAll());
    // An uncaught error ends the worker: its 'exit' follows and settles what was pending.
    worker.on('error', () => {});
    worker.on('exit', () => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#workersLost++;
      this.#settleAll();
    });
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #settle(id: number, reply: DecodeReply | undefined): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker?.unref();
    pending.resolve(reply);
  }

  #settleAll(): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#worker?.unref();
    for (const call of pending) call.resolve(undefined);
  }
}

let processDecoder: OffLoopBodyDecoder | undefined;

/** The process's decoder (one worker, started on the first large body). */
export function processBodyDecoder(): OffLoopBodyDecoder {
  processDecoder ??= new OffLoopBodyDecoder();
  return processDecoder;
}
