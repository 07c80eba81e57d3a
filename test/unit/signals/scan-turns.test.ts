// Families scanning long texts side by side take turns: after their first chunk, no event-loop turn runs chunks of
// two scans, so their slices never add up to one long stall of the other streams.
import { describe, expect, it } from 'vitest';
import { forEachChunk, SCAN_CHUNK_CHARS, type SignalRun } from '../../../src/signals/text-scan.ts';

const run: SignalRun = { signal: new AbortController().signal, maxScanChars: 10_000_000 };

describe('side-by-side scans', () => {
  it('run one scan per event-loop turn after their first chunk', async () => {
    // A turn counter that advances once per event-loop turn (check phase) while the scans run.
    let turn = 0;
    let counting = true;
    const tick = () => {
      turn++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const scansByTurn = new Map<number, Set<number>>();
    const scan = (index: number) =>
      forEachChunk(['x'.repeat(SCAN_CHUNK_CHARS * 30)], run, 8, () => {
        const until = performance.now() + 0.3;
        while (performance.now() < until) {
          // working
        }
        const scans = scansByTurn.get(turn) ?? new Set<number>();
        scans.add(index);
        scansByTurn.set(turn, scans);
      });
    const firstTurn = turn;
    await Promise.all([scan(0), scan(1), scan(2)]);
    counting = false;
    const shared = [...scansByTurn].filter(([at, scans]) => at !== firstTurn && scans.size > 1);
    expect(shared).toEqual([]);
    expect(scansByTurn.size).toBeGreaterThan(3);
  });
});
