// Cost arithmetic: token prices per million (cached and cache-write tokens at their own prices), GPU time.
import { describe, expect, it } from 'vitest';
import { gpuTimeCost, type Pricing, tokenCost } from '../../../src/response/cost.ts';
import type { TokenUsage } from '../../../src/response/usage.ts';

const usage = (
  promptTokens: number,
  completionTokens: number,
  cachedPromptTokens = 0,
  cacheWriteTokens?: number,
): TokenUsage => ({
  promptTokens,
  completionTokens,
  cachedPromptTokens,
  reasoningTokens: 0,
  ...(cacheWriteTokens !== undefined && { cacheWriteTokens }),
});

describe('tokenCost', () => {
  it.each<[string, Pricing | undefined, TokenUsage, number | undefined]>([
    ['no pricing', undefined, usage(1000, 1000), undefined],
    ['pricing without prices', { currency: 'USD' }, usage(1000, 1000), undefined],
    // 1M prompt × 0.05 + 1M completion × 0.20
    [
      'prompt and completion',
      { prompt_per_1m: 0.05, completion_per_1m: 0.2 },
      usage(1_000_000, 1_000_000),
      0.25,
    ],
    // 2000 × 3 / 1M + 500 × 15 / 1M = 0.006 + 0.0075
    ['a small request', { prompt_per_1m: 3, completion_per_1m: 15 }, usage(2000, 500), 0.0135],
    // uncached 93 × 2.5 + cached 1024 × 1.25 + 46 × 10, per million
    [
      'cached tokens at the cached price',
      { prompt_per_1m: 2.5, completion_per_1m: 10, cached_input_per_1m: 1.25 },
      usage(1117, 46, 1024),
      (93 * 2.5 + 1024 * 1.25 + 46 * 10) / 1e6,
    ],
    [
      'cached tokens at the prompt price when there is no cached price',
      { prompt_per_1m: 2, completion_per_1m: 8 },
      usage(1000, 100, 600),
      (1000 * 2 + 100 * 8) / 1e6,
    ],
    // Anthropic: 50 uncached × 3 + 1000 reads × 0.3 + 200 writes × 3.75 + 300 × 15
    [
      'Anthropic cache reads and writes at their prices',
      { prompt_per_1m: 3, completion_per_1m: 15, cached_input_per_1m: 0.3, cache_write_per_1m: 3.75 },
      usage(1250, 300, 1000, 200),
      (50 * 3 + 1000 * 0.3 + 200 * 3.75 + 300 * 15) / 1e6,
    ],
    [
      'cache writes at the prompt price when there is no cache-write price',
      { prompt_per_1m: 3, completion_per_1m: 15, cached_input_per_1m: 0.3 },
      usage(1250, 300, 1000, 200),
      (250 * 3 + 1000 * 0.3 + 300 * 15) / 1e6,
    ],
    ['only a completion price', { completion_per_1m: 4 }, usage(500, 250), (250 * 4) / 1e6],
    ['only a prompt price', { prompt_per_1m: 4 }, usage(500, 250), (500 * 4) / 1e6],
    ['zero prices cost zero', { prompt_per_1m: 0, completion_per_1m: 0 }, usage(500, 250), 0],
    ['no tokens cost zero', { prompt_per_1m: 1, completion_per_1m: 1 }, usage(0, 0), 0],
    [
      'a cached count above the prompt count is capped (never a negative term)',
      { prompt_per_1m: 1, cached_input_per_1m: 0.5 },
      usage(100, 0, 150),
      (100 * 0.5) / 1e6,
    ],
  ])('%s', (_label, pricing, tokens, expected) => {
    const cost = tokenCost(pricing, tokens);
    if (expected === undefined) expect(cost).toBeUndefined();
    else expect(cost).toBeCloseTo(expected, 12);
  });
});

describe('gpuTimeCost', () => {
  it.each<[string, number | undefined, number, number | undefined]>([
    ['no pool price', undefined, 2, undefined],
    ['an hour', 2.5, 3600, 2.5],
    ['1.8 s of a $4/h GPU', 4, 1.8, 0.002],
    ['no time', 4, 0, 0],
    ['a negative duration counts as none', 4, -1, 0],
    ['an unknown duration', 4, Number.NaN, undefined],
  ])('%s', (_label, perHour, seconds, expected) => {
    const cost = gpuTimeCost(perHour, seconds);
    if (expected === undefined) expect(cost).toBeUndefined();
    else expect(cost).toBeCloseTo(expected, 12);
  });
});
