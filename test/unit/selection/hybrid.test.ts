import { afterAll, describe, expect, it } from 'vitest';
import { hybridSelection } from '../../../src/selection/algorithms/hybrid.ts';
import { answers, choose, closeLivePolicy, liveState, openBreaker, ref } from './live-fixtures.ts';

afterAll(closeLivePolicy);

const create = (config: Record<string, unknown>) =>
  hybridSelection.create(hybridSelection.configSchema.parse(config));
const three = [ref('small'), ref('medium'), ref('large')];

describe('hybrid', () => {
  it('automix weight favours the stronger model, cost weight the cheaper; each term is shown', async () => {
    const { context } = await liveState();
    const strong = await choose(
      create({ experience_weight: 0, automix_weight: 1, cost_weight: 0 }),
      three,
      context(),
    );
    expect(strong.candidate.model).toBe('large');
    const cheap = await choose(
      create({ experience_weight: 0, automix_weight: 0, cost_weight: 1 }),
      three,
      context(),
    );
    expect(cheap.candidate.model).toBe('small');
    expect(cheap.scores?.[0]?.parts).toMatchObject({ cost: 1, success_share: 0.5 });
  });

  it('experience learns from outcomes: a model that keeps failing loses to one that answers', async () => {
    const { stats, context } = await liveState();
    answers(stats, 'large', 30, { failed: true });
    answers(stats, 'medium', 30, { latencyMs: 400 });
    const chosen = await choose(
      create({ experience_weight: 0.6, automix_weight: 0.4, cost_weight: 0 }),
      [ref('large'), ref('medium')],
      context(),
    );
    expect(chosen.candidate.model).toBe('medium');
    expect(chosen.scores?.[0]?.parts?.success_share).toBeCloseTo(1 / 32, 3);
  });

  it('excludes a model whose pools are all unavailable', async () => {
    const { pools, context } = await liveState();
    openBreaker(pools, 'h100');
    const chosen = await choose(create({ automix_weight: 1 }), three, context());
    expect(chosen.candidate.model).toBe('medium');
    expect(chosen.scores?.[2]?.excluded).toBe('pool breaker open');
  });

  it("reads the peer's fields; a positive router_dc_weight is rejected with why, never ignored", () => {
    const peer = { experience_weight: 0.4, router_dc_weight: 0.4, automix_weight: 0.2, cost_weight: 0.1 };
    const parsed = hybridSelection.configSchema.safeParse(peer);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['router_dc_weight']);
    expect(parsed.error?.issues[0]?.message).toMatch(/RouterDC query\/model embeddings/);
    expect(hybridSelection.configSchema.safeParse({ ...peer, router_dc_weight: 0 }).success).toBe(true);
    expect(hybridSelection.configSchema.safeParse({ elo_weight: 0.3, cost_weight: 0.1 }).success).toBe(true);
  });
});
