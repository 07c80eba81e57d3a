import { afterAll, describe, expect, it } from 'vitest';
import { NoPoolError } from '../../../src/errors.ts';
import { multiFactorSelection } from '../../../src/selection/algorithms/multi-factor.ts';
import { answers, choose, closeLivePolicy, liveState, openBreaker, ref, requestOf } from './live-fixtures.ts';

afterAll(closeLivePolicy);

const create = (config: Record<string, unknown>) =>
  multiFactorSelection.create(multiFactorSelection.configSchema.parse(config));
const three = [ref('small'), ref('medium'), ref('large')];

describe('multi_factor', () => {
  it('quality-heavy weights pick the strongest model, cost-heavy the cheapest, with each score part shown', async () => {
    const { context } = await liveState();
    const quality = await choose(
      create({ weights: { quality: 1, cost: 0, latency: 0, load: 0 } }),
      three,
      context(),
    );
    expect(quality.candidate.model).toBe('large');
    const cost = await choose(
      create({ weights: { quality: 0, cost: 1, latency: 0, load: 0 } }),
      three,
      context(),
    );
    expect(cost.candidate.model).toBe('small');
    const balanced = await choose(
      create({ weights: { quality: 0.5, cost: 0.5, latency: 0, load: 0 } }),
      three,
      context(),
    );
    const medium = balanced.scores?.find((s) => s.model === 'medium');
    expect(medium?.parts).toMatchObject({ quality: 0.5 });
    expect(medium?.parts?.cost).toBeGreaterThan(0.5);
    expect(medium?.parts?.expected_cost).toBeGreaterThan(0);
  });

  it('prices a request by its estimated prompt tokens plus max_tokens (or 256 output tokens)', async () => {
    const { context } = await liveState();
    const capped = await choose(create({}), three, {
      ...context(),
      request: requestOf({ max_tokens: 1000, messages: [{ role: 'user', content: 'hello' }] }),
    });
    const uncapped = await choose(create({}), three, context());
    const cost = (s: typeof capped, model: string) =>
      s.scores?.find((x) => x.model === model)?.parts?.expected_cost;
    // large: completion 15 per 1M; 1000 vs 256 output tokens.
    expect((cost(capped, 'large') ?? 0) - (cost(uncapped, 'large') ?? 0)).toBeCloseTo((744 * 15) / 1e6, 6);
  });

  it('moves traffic to the faster, healthier model: latency from the stats, failures lower predicted quality', async () => {
    const { stats, context } = await liveState();
    const pair = [ref('medium'), ref('unpriced')];
    answers(stats, 'medium', 20, { tpotMs: 80 });
    answers(stats, 'unpriced', 20, { tpotMs: 20 });
    const selector = create({ weights: { quality: 0.4, latency: 0.4, cost: 0, load: 0.2 } });
    expect((await choose(selector, pair, context())).candidate.model).toBe('unpriced');
    const scores = (await choose(selector, pair, context())).scores ?? [];
    expect(scores[1]?.parts).toMatchObject({ latency: 1, tpot_p95_ms: 20 });
    // unpriced has no quality in the policy: quality is weighed for neither, and the reason says so.
    expect((await choose(selector, pair, context())).reason).toContain('quality not weighed');
  });

  it('excludes candidates over an SLO ceiling with the figure that broke it', async () => {
    const { stats, context } = await liveState();
    answers(stats, 'small', 20, { ttftMs: 900 });
    answers(stats, 'medium', 20, { ttftMs: 300 });
    answers(stats, 'large', 20, { ttftMs: 200 });
    const chosen = await choose(
      create({ slo: { max_ttft_ms: 800, max_cost_per_1m: 5 }, latency_percentile: 95 }),
      three,
      context(),
    );
    expect(chosen.scores?.map((s) => s.excluded)).toEqual([
      'slo: ttft p95 900 ms > 800 ms',
      undefined,
      // large: (prompt × 3 + 256 × 15) / tokens, well above 5 per 1M for a short prompt.
      expect.stringMatching(/^slo: price [\d.]+\/1M > 5\/1M$/),
    ]);
    expect(chosen.candidate.model).toBe('medium');
  });

  it('counts requests in flight against max_inflight and the load weight', async () => {
    const { stats, context } = await liveState();
    for (let i = 0; i < 3; i++) stats.begin('large');
    const chosen = await choose(
      create({ weights: { load: 1, quality: 0, cost: 0, latency: 0 }, slo: { max_inflight: 2 } }),
      [ref('large'), ref('medium')],
      context(),
    );
    expect(chosen.candidate.model).toBe('medium');
    expect(chosen.scores?.[0]?.excluded).toBe('slo: 3 in flight > 2');
  });

  it('on_no_candidates: cheapest by default, first, or fail with a 503', async () => {
    const { pools, context } = await liveState();
    for (const pool of ['l4', 'a100', 'h100']) openBreaker(pools, pool);
    const cheapest = await choose(create({}), [ref('large'), ref('small')], context());
    expect(cheapest.candidate.model).toBe('small');
    expect(cheapest.reason).toContain('cheapest');
    const first = await choose(
      create({ on_no_candidates: 'first' }),
      [ref('large'), ref('small')],
      context(),
    );
    expect(first.candidate.model).toBe('large');
    await expect(async () =>
      choose(create({ on_no_candidates: 'fail' }), three, context()),
    ).rejects.toBeInstanceOf(NoPoolError);
  });

  it('excludes a model the conversation no longer fits', async () => {
    const { context } = await liveState();
    const long = 'word '.repeat(40_000);
    const chosen = await choose(create({}), [ref('small'), ref('large')], context({ request: long }));
    expect(chosen.scores?.[0]?.excluded).toMatch(/^needs ~\d+ tokens > context window \d+$/);
    expect(chosen.candidate.model).toBe('large');
  });

  it("reads the peer's fragment and rejects unknown fields and bad values", () => {
    const peer = {
      weights: { quality: 0.4, latency: 0.2, cost: 0.2, load: 0.2 },
      slo: { max_tpot_ms: 200, max_ttft_ms: 800, max_cost_per_1m: 5.0, max_inflight: 50 },
      latency_percentile: 95,
      on_no_candidates: 'cheapest',
    };
    expect(multiFactorSelection.configSchema.safeParse(peer).success).toBe(true);
    expect(multiFactorSelection.configSchema.safeParse({ weights: { quality: -1 } }).success).toBe(false);
    expect(multiFactorSelection.configSchema.safeParse({ on_no_candidates: 'random' }).success).toBe(false);
    expect(multiFactorSelection.configSchema.safeParse({ wieghts: {} }).success).toBe(false);
  });
});
