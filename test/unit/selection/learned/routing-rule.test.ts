// How predicted success becomes a choice: quality mode by price, difficulty mode by the policy's model quality.
import { describe, expect, it } from 'vitest';
import { chooseCandidate, strengthOrder } from '../../../../src/selection/learned/routing-rule.ts';

const unmapped = (price: number | undefined, strength?: number) => ({ quality: undefined, price, strength });

describe('difficulty mode', () => {
  it('sends hard prompts to the model the policy rates strongest, even when it is not the dearest', () => {
    // A cheap strong model (quality 0.9) and a dear weaker one (0.6): the hard prompt goes to the strong one.
    const candidates = [unmapped(0.1, 0.5), unmapped(2.0, 0.6), unmapped(0.8, 0.9)];
    expect(strengthOrder(candidates)).toEqual([0, 1, 2]);
    expect(chooseCandidate(candidates, 0.95, { threshold: 0, strongShare: 0.5 }).index).toBe(2);
    expect(chooseCandidate(candidates, 0.05, { threshold: 0, strongShare: 0.5 }).index).toBe(0);
  });

  it('ranks by price when any candidate lacks a policy quality', () => {
    const candidates = [unmapped(2.0, 0.9), unmapped(0.1), unmapped(0.8, 0.5)];
    expect(strengthOrder(candidates)).toEqual([1, 2, 0]);
    expect(chooseCandidate(candidates, 0.99, { threshold: 0, strongShare: 0.3 }).index).toBe(0);
  });

  it('breaks quality ties by price', () => {
    expect(strengthOrder([unmapped(3, 0.7), unmapped(1, 0.7), unmapped(2, 0.4)])).toEqual([2, 1, 0]);
  });
});

describe('quality mode', () => {
  it('takes the cheapest candidate within the threshold of the best prediction', () => {
    const candidates = [
      { quality: 0.8, price: 5 },
      { quality: 0.75, price: 1 },
      { quality: 0.5, price: 0.1 },
    ];
    expect(chooseCandidate(candidates, 0.5, { threshold: 0.1, strongShare: 0.5 }).index).toBe(1);
    expect(chooseCandidate(candidates, 0.5, { threshold: 0, strongShare: 0.5 }).index).toBe(0);
  });
});
