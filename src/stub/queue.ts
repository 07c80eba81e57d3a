// A FIFO concurrency limit: the stub's stand-in for an engine's running batch and its waiting queue.

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

export class FifoLimiter {
  #running = 0;
  /** Waiters in arrival order (a Set iterates in insertion order, and deletes in O(1) when a client gives up). */
  readonly #waiting = new Set<() => void>();

  /** `limit`: slots; Infinity for no limit. */
  constructor(readonly limit: number) {}

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * Waits for a slot in arrival order. Resolves to its release, or to undefined when `signal` aborts first (the
   * request then leaves the queue without ever running).
   */
  acquire(signal: AbortSignal): Promise<Release | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    if (this.#running < this.limit && this.#waiting.size === 0) {
      this.#running++;
      return Promise.resolve(this.#release());
    }
    return new Promise((resolve) => {
      const onAbort = () => {
        this.#waiting.delete(admit);
        resolve(undefined);
      };
      // The slot is handed over by release(): `running` stays the same.
      const admit = () => {
        signal.removeEventListener('abort', onAbort);
        resolve(this.#release());
      };
      this.#waiting.add(admit);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #release(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.values().next();
      if (next.done) {
        this.#running--;
      } else {
        this.#waiting.delete(next.value);
        next.value();
      }
    };
  }
}
