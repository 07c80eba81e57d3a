import { afterAll, describe, expect, it } from 'vitest';
import { latencyAwareSelection } from '../../../src/selection/algorithms/latency-aware.ts';
import { answers, choose, closeLivePolicy, liveState, openBreaker, ref } from './live-fixtures.ts';

afterAll(closeLivePolicy);

const create = (config: Record<string, unknown>) =>
  latencyAwareSelection.create(latencyAwareSelection.configSchema.parse(config));
const candidates = [ref('small'), ref('medium'), ref('large')];

describe('latency_aware', () => {
  it('picks the candidate with the lowest TTFT/TPOT percentiles and explains each score', async () => {
    const { stats, context } = await liveState();
    answers(stats, 'small', 10, { ttftMs: 400, tpotMs: 40 });
    answers(stats, 'medium', 10, { ttftMs: 100, tpotMs: 20 });
    answers(stats, 'large', 10, { ttftMs: 200, tpotMs: 20 });
    const selector = create({ ttft_percentile: 95, tpot_percentile: 90, exploration_rate: 0 });
    const chosen = await choose(selector, candidates, context());
    expect(chosen.candidate.model).toBe('medium');
    expect(chosen.reason).toBe('lowest ttft p95 + tpot p90');
    const byModel = Object.fromEntries((chosen.scores ?? []).map((s) => [s.model, s]));
    expect(byModel.medium?.score).toBe(1);
    // small: (400/100 + 40/20) / 2 = 3 times the best on average → 1/3.
    expect(byModel.small?.score).toBeCloseTo(1 / 3, 3);
    expect(byModel.small?.parts).toEqual({ ttft_p95_ms: 400, tpot_p90_ms: 40 });
  });

  it('tries a model without figures first, but never more requests at once than min_samples', async () => {
    const { stats, context } = await liveState();
    answers(stats, 'small', 5, { ttftMs: 50 });
    const selector = create({ ttft_percentile: 95, min_samples: 2, exploration_rate: 0 });
    const first = await choose(selector, [ref('small'), ref('large')], context());
    expect(first.candidate.model).toBe('large');
    expect(first.reason).toMatch(/^explored/);
    // Two requests to `large` still in flight: the third goes to the measured model.
    const done = [stats.begin('large'), stats.begin('large')];
    const third = await choose(selector, [ref('small'), ref('large')], context());
    expect(third.candidate.model).toBe('small');
    for (const end of done) end({ failed: false, ttftMs: 500 });
    const after = await choose(selector, [ref('small'), ref('large')], context());
    expect(after.candidate.model).toBe('small');
    expect(after.reason).toBe('lowest ttft p95');
  });

  it('keeps exploring a slower model at the configured rate (deterministic with a seed)', async () => {
    const { stats, context } = await liveState(7);
    answers(stats, 'small', 10, { ttftMs: 50 });
    answers(stats, 'large', 10, { ttftMs: 500 });
    const ctx = context();
    const count = async (rate: number) => {
      const selector = create({ ttft_percentile: 95, exploration_rate: rate });
      let slow = 0;
      for (let i = 0; i < 1000; i++)
        if ((await choose(selector, [ref('small'), ref('large')], ctx)).candidate.model === 'large') slow++;
      return slow;
    };
    expect(await count(0)).toBe(0);
    const explored = await count(0.1);
    expect(explored).toBeGreaterThan(60);
    expect(explored).toBeLessThan(140);
  });

  it('excludes a model whose every pool breaker is open, with the reason', async () => {
    const { stats, pools, context } = await liveState();
    answers(stats, 'small', 10, { ttftMs: 50 });
    answers(stats, 'large', 10, { ttftMs: 500 });
    openBreaker(pools, 'l4');
    const chosen = await choose(
      create({ ttft_percentile: 95, exploration_rate: 0 }),
      [ref('small'), ref('large')],
      context(),
    );
    expect(chosen.candidate.model).toBe('large');
    expect(chosen.scores?.[0]).toMatchObject({ model: 'small', excluded: 'pool breaker open' });
  });

  it('compares end-to-end latency when answers were not streamed (no TTFT/TPOT figures)', async () => {
    const { stats, context } = await liveState();
    answers(stats, 'small', 10, { latencyMs: 900 });
    answers(stats, 'large', 10, { latencyMs: 300 });
    const chosen = await choose(
      create({ tpot_percentile: 90, exploration_rate: 0 }),
      [ref('small'), ref('large')],
      context(),
    );
    expect(chosen.candidate.model).toBe('large');
    expect(chosen.reason).toBe('lowest latency p90');
  });

  it('ranks a model whose answers all failed last', async () => {
    const { stats, context } = await liveState();
    answers(stats, 'small', 10, { failed: true });
    answers(stats, 'large', 10, { ttftMs: 800 });
    const chosen = await choose(
      create({ ttft_percentile: 50, exploration_rate: 0 }),
      [ref('small'), ref('large')],
      context(),
    );
    expect(chosen.candidate.model).toBe('large');
  });

  it('rejects a config without percentiles, or a percentile out of range', () => {
    expect(latencyAwareSelection.configSchema.safeParse({}).success).toBe(false);
    expect(latencyAwareSelection.configSchema.safeParse({ ttft_percentile: 0 }).success).toBe(false);
    expect(latencyAwareSelection.configSchema.safeParse({ ttft_percentile: 101 }).success).toBe(false);
    expect(
      latencyAwareSelection.configSchema.safeParse({
        tpot_percentile: 90,
        ttft_percentile: 95,
        description: 'x',
      }).success,
    ).toBe(true);
  });
});
