// Whole-text scanning: chunks tile the text exactly, long scans yield to the event loop, limits and budgets apply.
import { describe, expect, it } from 'vitest';
import { textWindows } from '../../../src/signals/model-windows.ts';
import {
  forEachChunk,
  SCAN_CHUNK_CHARS,
  type SignalRun,
  TextTooLongError,
  textChunks,
} from '../../../src/signals/text-scan.ts';

const run = (maxScanChars = 10_000_000, signal = new AbortController().signal): SignalRun => ({
  signal,
  maxScanChars,
});

describe('textChunks', () => {
  it('owned parts tile the text exactly; each chunk reads its lead before and overlap after', () => {
    const length = SCAN_CHUNK_CHARS * 3 + 123;
    const chunks = [...textChunks(length, 50, 10)];
    expect(chunks).toHaveLength(4);
    expect(chunks[0]).toEqual({
      from: 0,
      to: SCAN_CHUNK_CHARS + 50,
      ownedFrom: 0,
      ownedTo: SCAN_CHUNK_CHARS,
    });
    for (let i = 1; i < chunks.length; i++) {
      const chunk = chunks[i] as (typeof chunks)[number];
      expect(chunk.ownedFrom).toBe((chunks[i - 1] as typeof chunk).ownedTo);
      expect(chunk.from).toBe(chunk.ownedFrom - 10);
    }
    expect(chunks.at(-1)?.ownedTo).toBe(length);
    expect(chunks.at(-1)?.to).toBe(length);
  });
});

describe('forEachChunk', () => {
  it('is synchronous for short texts', () => {
    const seen: string[] = [];
    const pending = forEachChunk(['abc', 'de'], run(), 4, (text, chunk) => {
      seen.push(text.slice(chunk.ownedFrom, chunk.ownedTo));
    });
    expect(pending).toBeUndefined();
    expect(seen).toEqual(['abc', 'de']);
  });

  it('lets other callbacks run while it scans a long text (no stall of other streams)', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const text = 'a'.repeat(SCAN_CHUNK_CHARS * 40);
    let ticksDuringScan = 0;
    await forEachChunk([text], run(), 8, () => {
      // ~4 ms of work per chunk, so the scanner must yield between chunks.
      const until = performance.now() + 4;
      while (performance.now() < until) {
        // working
      }
      ticksDuringScan = ticks;
    });
    clearInterval(timer);
    expect(ticksDuringScan).toBeGreaterThan(5);
  });

  it('refuses to read part of texts over the scan limit', () => {
    expect(() => forEachChunk(['a'.repeat(60), 'b'.repeat(50)], run(100), 4, () => {})).toThrow(
      TextTooLongError,
    );
  });

  it('stops when its budget is over', async () => {
    const controller = new AbortController();
    let chunks = 0;
    const pending = forEachChunk(
      ['x'.repeat(SCAN_CHUNK_CHARS * 20)],
      run(10_000_000, controller.signal),
      8,
      () => {
        chunks++;
        if (chunks === 3) controller.abort(new Error('timed out'));
      },
    );
    await expect(pending).rejects.toThrow('timed out');
    expect(chunks).toBe(3);
  });
});

describe('textWindows', () => {
  it('covers a long text with overlapping windows whose edges fall between words', () => {
    const text = 'alpha beta gamma delta '.repeat(500);
    const windows = textWindows([text], 256);
    expect(windows.length).toBeGreaterThan(40);
    let covered = 0;
    for (const window of windows) {
      expect(window.offset).toBeLessThanOrEqual(covered);
      expect(text.slice(window.offset, window.offset + window.text.length)).toBe(window.text);
      if (window.offset > 0) expect(text[window.offset - 1]).toBe(' ');
      if (window.offset + window.text.length < text.length) expect(window.text.endsWith(' ')).toBe(true);
      covered = window.ownedTo;
    }
    expect(covered).toBe(text.length);
  });

  it('keeps a text that fits as one window, and skips empty texts', () => {
    expect(textWindows(['short', ''], 256)).toEqual([{ textIndex: 0, text: 'short', offset: 0, ownedTo: 5 }]);
  });

  it('still advances through text without spaces', () => {
    const text = 'x'.repeat(10_000);
    const windows = textWindows([text], 256);
    expect(windows.at(-1)?.ownedTo).toBe(text.length);
  });
});
