// Shares model runs between concurrent callers: their rows are packed, in arrival order, into runs of at most
// `maxRows`; each caller gets back the runs that hold its rows and where in each run they are.

/** Runs one batch of rows (e.g. pads and feeds them to the model). */
export type RowRunner<T, R> = (rows: readonly T[]) => Promise<R>;

/** One run's result and the caller's rows in it: `[start, end)` of the run's rows, in the caller's order. */
export interface RowSlice<R> {
  readonly result: R;
  readonly start: number;
  readonly end: number;
}

interface Caller<T, R> {
  readonly rows: readonly T[];
  /** Rows handed to runs so far. */
  taken: number;
  /** Rows whose run has finished. */
  done: number;
  readonly slices: RowSlice<R>[];
  settled: boolean;
  readonly resolve: (slices: RowSlice<R>[]) => void;
  readonly reject: (error: unknown) => void;
}

interface Piece<T, R> {
  readonly caller: Caller<T, R>;
  readonly start: number;
  readonly end: number;
}

/**
 * An idle batcher starts a run in the next event-loop turn (taking every call of the current turn); calls made
 * while a run is in flight queue and form the next run. A caller's rows may span runs, a run many callers. A
 * failed run rejects every caller with rows in it; later calls are unaffected.
 */
export class RowBatcher<T, R> {
  readonly #run: RowRunner<T, R>;
  readonly #maxRows: number;
  #queue: Caller<T, R>[] = [];
  #scheduled = false;
  #busy = false;
  #closed: Error | undefined;

  constructor(run: RowRunner<T, R>, maxRows: number) {
    this.#run = run;
    this.#maxRows = Math.max(1, maxRows);
  }

  submit(rows: readonly T[]): Promise<RowSlice<R>[]> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    if (rows.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#queue.push({ rows, taken: 0, done: 0, slices: [], settled: false, resolve, reject });
      if (this.#busy || this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.#drain();
      });
    });
  }

  /** Rejects calls with rows not yet handed to a run, and every later call, with `error`. */
  close(error: Error): void {
    this.#closed ??= error;
    for (const caller of this.#queue) this.#settle(caller, error);
    this.#queue = [];
  }

  async #drain(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (let pieces = this.#take(); pieces.length > 0; pieces = this.#take()) await this.#runPieces(pieces);
    } finally {
      this.#busy = false;
    }
  }

  /** Up to maxRows rows from the oldest callers on; a caller leaves the queue once all its rows are taken. */
  #take(): Piece<T, R>[] {
    const pieces: Piece<T, R>[] = [];
    let count = 0;
    while (count < this.#maxRows) {
      const caller = this.#queue[0];
      if (caller === undefined) break;
      const n = Math.min(caller.rows.length - caller.taken, this.#maxRows - count);
      pieces.push({ caller, start: caller.taken, end: caller.taken + n });
      caller.taken += n;
      count += n;
      if (caller.taken === caller.rows.length) this.#queue.shift();
    }
    return pieces;
  }

  async #runPieces(pieces: readonly Piece<T, R>[]): Promise<void> {
    let result: R;
    try {
      result = await this.#run(pieces.flatMap((p) => p.caller.rows.slice(p.start, p.end)));
    } catch (error) {
      for (const { caller } of pieces) this.#settle(caller, error);
      this.#queue = this.#queue.filter((caller) => !caller.settled);
      return;
    }
    let offset = 0;
    for (const { caller, start, end } of pieces) {
      const n = end - start;
      caller.slices.push({ result, start: offset, end: offset + n });
      caller.done += n;
      offset += n;
      if (caller.done === caller.rows.length && !caller.settled) {
        caller.settled = true;
        caller.resolve(caller.slices);
      }
    }
  }

  #settle(caller: Caller<T, R>, error: unknown): void {
    if (caller.settled) return;
    caller.settled = true;
    caller.reject(error);
  }
}
