// Whole-text scanning in bounded slices: guard families read every character of a request, and yield to the event
// loop between chunks so that one long prompt never stalls the other streams.

/** A family asked to read more text than `limits.max_scan_chars` allows: its rules apply `on_error`. */
export class TextTooLongError extends Error {
  constructor(
    readonly chars: number,
    readonly limit: number,
  ) {
    super(`text of ${chars} characters exceeds the scan limit of ${limit}`);
    this.name = 'TextTooLongError';
  }
}

/** The per-request context a family evaluates in: cancellation (budget over) and the scan limit. */
export interface SignalRun {
  /** Aborted when the family's time budget is over: stop working and let the rejection through. */
  readonly signal: AbortSignal;
  /** Most characters the family may read for this request (sum over the texts it scans). */
  readonly maxScanChars: number;
}

/** A run with no budget and no practical limit, for callers outside the signal engine (tests, tools). */
export const UNBOUNDED_RUN: SignalRun = {
  signal: new AbortController().signal,
  maxScanChars: Number.MAX_SAFE_INTEGER,
};

/** Characters scanned between checks of the clock. */
export const SCAN_CHUNK_CHARS = 16 * 1024;

/** Work done without yielding before the scanner lets other callbacks run (well under the 5 ms stall budget). */
const SLICE_MS = 1;

/** Clocks waiting for their next slice, oldest first. */
const waitingClocks: (() => void)[] = [];

function resumeNextClock(): void {
  waitingClocks.shift()?.();
  if (waitingClocks.length > 0) setImmediate(resumeNextClock);
}

/**
 * Waits for a later event-loop turn. One waiting clock resumes per turn, in turn: clocks of families scanning side
 * by side would otherwise all resume in the same turn, their slices adding up to a stall.
 */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => {
    waitingClocks.push(resolve);
    if (waitingClocks.length === 1) setImmediate(resumeNextClock);
  });

/**
 * Time-slices a run: `checkpoint()` after each unit of work yields to the event loop once the current slice has
 * used SLICE_MS, and throws the abort reason when the run was cancelled.
 */
export class ScanClock {
  /** The first checkpoint yields: families starting side by side in one turn would each work a slice in it. */
  private sliceStart = Number.NEGATIVE_INFINITY;

  constructor(private readonly signal: AbortSignal) {}

  async checkpoint(): Promise<void> {
    this.signal.throwIfAborted();
    if (performance.now() - this.sliceStart < SLICE_MS) return;
    await yieldToEventLoop();
    this.signal.throwIfAborted();
    this.sliceStart = performance.now();
  }
}

/** Throws TextTooLongError when the texts together exceed the run's scan limit. */
export function checkScanLimit(texts: readonly string[], run: SignalRun): void {
  let total = 0;
  for (const text of texts) total += text.length;
  if (total > run.maxScanChars) throw new TextTooLongError(total, run.maxScanChars);
}

/** One chunk of a text: scan `text.slice(from, to)`; count only findings that start in `[ownedFrom, ownedTo)`. */
export interface TextChunk {
  readonly from: number;
  readonly to: number;
  readonly ownedFrom: number;
  readonly ownedTo: number;
}

/**
 * The chunks that cover `length` characters: each owns SCAN_CHUNK_CHARS (the last one the rest) and reads `lead`
 * characters before and `overlap` after what it owns, so a finding of up to `overlap` characters that starts in
 * a chunk is whole in it, and boundary checks see the character before.
 */
export function* textChunks(
  length: number,
  overlap: number,
  lead = 1,
  chunkChars = SCAN_CHUNK_CHARS,
): Generator<TextChunk> {
  if (length === 0) return;
  for (let ownedFrom = 0; ownedFrom < length; ownedFrom += chunkChars) {
    const ownedTo = Math.min(length, ownedFrom + chunkChars);
    yield {
      from: Math.max(0, ownedFrom - lead),
      to: Math.min(length, ownedTo + overlap),
      ownedFrom,
      ownedTo,
    };
  }
}

/** Calls `visit` on every chunk of `text` (see textChunks), yielding between chunks as the clock says. */
export async function scanChunks(
  text: string,
  clock: ScanClock,
  overlap: number,
  visit: (chunk: TextChunk) => void,
  lead = 1,
): Promise<void> {
  for (const chunk of textChunks(text.length, overlap, lead)) {
    visit(chunk);
    await clock.checkpoint();
  }
}

/**
 * Calls `visit` on every chunk of every text, after checking the scan limit (TextTooLongError). Synchronous (no
 * promise, no event-loop turn) when the texts together fit in one chunk, the common case.
 */
export function forEachChunk(
  texts: readonly string[],
  run: SignalRun,
  overlap: number,
  visit: (text: string, chunk: TextChunk, textIndex: number) => void,
  /** Characters read before what a chunk owns (context a finding depends on); 1 for word boundaries. */
  lead = 1,
): Promise<void> | undefined {
  checkScanLimit(texts, run);
  let total = 0;
  for (const text of texts) total += text.length;
  if (total <= SCAN_CHUNK_CHARS) {
    texts.forEach((text, index) => {
      if (text.length > 0)
        visit(text, { from: 0, to: text.length, ownedFrom: 0, ownedTo: text.length }, index);
    });
    return undefined;
  }
  return (async () => {
    const clock = new ScanClock(run.signal);
    for (const [index, text] of texts.entries())
      await scanChunks(text, clock, overlap, (chunk) => visit(text, chunk, index), lead);
  })();
}

/** `finish()` now, or once `pending` settles. */
export function thenOrNow<T>(pending: Promise<void> | undefined, finish: () => T): T | Promise<T> {
  return pending === undefined ? finish() : pending.then(finish);
}
