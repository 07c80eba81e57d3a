// The in-process benches' order of variants per round: every variant in every round, first equally often, and
// after more than one other variant, so none always inherits the same neighbour's garbage.
import { describe, expect, it } from 'vitest';
import { roundOrder } from '../../../bench/round-order.ts';

describe('roundOrder', () => {
  it.each([2, 3, 4, 5])('%i variants: permutations, first equally often, varied predecessors', (count) => {
    const rounds = 4 * count;
    const first = new Array<number>(count).fill(0);
    const predecessors = Array.from({ length: count }, () => new Set<number>());
    for (let round = 0; round < rounds; round++) {
      const order = roundOrder(round, count);
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
      first[order[0] as number] = (first[order[0] as number] ?? 0) + 1;
      for (let k = 1; k < order.length; k++) predecessors[order[k] as number]?.add(order[k - 1] as number);
    }
    expect(new Set(first).size).toBe(1);
    for (const seen of predecessors) expect(seen.size).toBeGreaterThanOrEqual(Math.min(2, count - 1));
  });
});
