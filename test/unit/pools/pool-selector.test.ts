// Pool choice: the first of the model's pools, in policy order, whose context window holds the request.
import { describe, expect, it } from 'vitest';
import { NoPoolError } from '../../../src/errors.ts';
import { chooseFirstFittingPool, type PoolCandidate } from '../../../src/pools/pool-selector.ts';

const pool = (name: string, maxContextTokens: number): PoolCandidate => ({
  name,
  envoyCluster: `${name}-cluster`,
  maxContextTokens,
});
const l4 = pool('l4-pool', 32_768);
const h100 = pool('h100-pool', 131_072);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('chooseFirstFittingPool', () => {
  it.each([
    ['a small request takes the first pool', [l4, h100], 1000, 'l4-pool'],
    ['a request too big for the first pool takes the next', [l4, h100], 50_000, 'h100-pool'],
    ['policy order wins, not the smallest fitting pool', [h100, l4], 1000, 'h100-pool'],
    ['a request exactly the size of a pool fits it', [l4, h100], 32_768, 'l4-pool'],
    ['one token more moves on', [l4, h100], 32_769, 'h100-pool'],
    ['zero tokens fit the first pool', [l4, h100], 0, 'l4-pool'],
  ])('%s', (_label, pools, required, expected) => {
    const choice = chooseFirstFittingPool('small-chat', pools, required);
    expect(choice.pool.name).toBe(expected);
    expect(choice.requiredTokens).toBe(required);
  });

  it('returns the pool object itself (Envoy cluster included)', () => {
    expect(chooseFirstFittingPool('m', [l4], 10).pool).toBe(l4);
  });

  it('a request within the model context window is routed', () => {
    expect(chooseFirstFittingPool('small-chat', [l4, h100], 32_000, 32_000).pool.name).toBe('l4-pool');
  });

  it('a request over the model context window is a 503 NoPoolError naming model, size and window', () => {
    const error = thrown(() => chooseFirstFittingPool('small-chat', [l4, h100], 40_000, 32_000));
    expect(error).toBeInstanceOf(NoPoolError);
    expect(error).toMatchObject({ code: 'no_pool_available', httpStatus: 503, errorType: 'server_error' });
    const message = (error as Error).message;
    expect(message).toContain("'small-chat'");
    expect(message).toContain('40000');
    expect(message).toContain('context window of 32000');
  });

  it('the model context window is checked even when a pool would fit', () => {
    expect(() => chooseFirstFittingPool('small-chat', [h100], 40_000, 32_000)).toThrow(NoPoolError);
  });

  it('no pool big enough is a 503 NoPoolError naming model, size and largest pool', () => {
    const error = thrown(() => chooseFirstFittingPool('big-reasoner', [l4, h100], 200_000));
    expect(error).toBeInstanceOf(NoPoolError);
    expect(error).toMatchObject({ code: 'no_pool_available', httpStatus: 503 });
    const message = (error as Error).message;
    expect(message).toContain("'big-reasoner'");
    expect(message).toContain('200000');
    expect(message).toContain('largest pool context: 131072');
  });

  it('a model without pools is a NoPoolError', () => {
    const error = thrown(() => chooseFirstFittingPool('orphan', [], 10));
    expect(error).toBeInstanceOf(NoPoolError);
    expect((error as Error).message).toContain("'orphan'");
  });
});
