// An AbortController made only when someone asks for its signal. Most requests and most signal families never need
// one, and each costs an EventTarget, and each abort() a DOMException with a captured stack: on the hot path that
// was ~10 % of the router's CPU per request.

/** What a cancellable piece of work receives: anything with a signal (an AbortController also fits). */
export interface Cancellation {
  readonly signal: AbortSignal;
}

export class LazyAbortController implements Cancellation {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /** Aborts once; the signal (made now or later) carries `reason` (an AbortError when none). */
  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
