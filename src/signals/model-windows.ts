// Runs a model over every character of long texts: each text is cut into overlapping windows of the length the
// model reads whole, and the windows are run in batches with the event loop served between them.
import { checkScanLimit, ScanClock, type SignalRun } from './text-scan.ts';

export interface TextWindow {
  /** Index of the text the window belongs to. */
  readonly textIndex: number;
  readonly text: string;
  /** Offset of the window in its text. */
  readonly offset: number;
  /** Findings starting before this offset (in the text) belong to this window; later ones to the next. */
  readonly ownedTo: number;
}

/** Windows per model run (the micro-batchers merge concurrent requests up to this too). */
const WINDOWS_PER_RUN = 32;

/** How far a window edge may move to fall between words. */
const EDGE_SLACK = 64;

const isSpace = (code: number) =>
  code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x3000;

/** `at`, moved forward to just after the next whitespace within the slack (a window must not start mid-word). */
function wordStart(text: string, at: number): number {
  for (let i = at; i < Math.min(text.length, at + EDGE_SLACK); i++) {
    if (isSpace(text.charCodeAt(i))) return i + 1;
  }
  return at;
}

/** `at`, moved back to the last whitespace within the slack (a window must not end mid-word). */
function wordEnd(text: string, at: number): number {
  if (at >= text.length) return text.length;
  for (let i = at; i > Math.max(0, at - EDGE_SLACK); i--) {
    if (isSpace(text.charCodeAt(i - 1))) return i;
  }
  return at;
}

/**
 * Overlapping windows covering every text; a text that fits one window is one window. Window edges fall between
 * words where possible: a model shown a word cut in half reads a fragment (e.g. "g the lazy dog" tags "g" as a
 * name).
 */
export function textWindows(texts: readonly string[], windowChars: number): TextWindow[] {
  // An eighth of a window: long enough for an attack phrase or an entity cut by the previous window's edge.
  const overlap = Math.floor(windowChars / 8);
  const stride = Math.max(1, windowChars - overlap);
  const windows: TextWindow[] = [];
  texts.forEach((text, textIndex) => {
    if (text.length === 0) return;
    if (text.length <= windowChars) {
      windows.push({ textIndex, text, offset: 0, ownedTo: text.length });
      return;
    }
    let offset = 0;
    for (;;) {
      const end = wordEnd(text, Math.min(text.length, offset + windowChars));
      const last = end >= text.length;
      const next = last ? text.length : Math.min(wordStart(text, offset + stride), end);
      windows.push({ textIndex, text: text.slice(offset, end), offset, ownedTo: next });
      if (last || next <= offset) break;
      offset = next;
    }
  });
  return windows;
}

/**
 * `run(batch)` over every window of the texts (after the scan limit check), in batches, yielding between them.
 * Returns the results in window order, with the windows.
 */
export async function runWindows<R>(
  texts: readonly string[],
  windowChars: number,
  signalRun: SignalRun,
  run: (batch: readonly string[]) => Promise<readonly R[]>,
): Promise<{ windows: TextWindow[]; results: R[] }> {
  checkScanLimit(texts, signalRun);
  const windows = textWindows(texts, windowChars);
  const results: R[] = [];
  const clock = new ScanClock(signalRun.signal);
  for (let start = 0; start < windows.length; start += WINDOWS_PER_RUN) {
    const batch = windows.slice(start, start + WINDOWS_PER_RUN).map((w) => w.text);
    results.push(...(await run(batch)));
    if (start + WINDOWS_PER_RUN < windows.length) await clock.checkpoint();
  }
  return { windows, results };
}
