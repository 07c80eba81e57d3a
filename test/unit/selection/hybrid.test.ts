import { afterAll, describe, expect, it } from 'vitest';
import { hybridSelection } from '../../../src/selection/algorithms/hybrid.ts';
import { routerDcSelection } from '../../../src/selection/router-dc/router-dc-selection.ts';
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

  it("reads the peer's fields, router_dc_weight included", () => {
    const peer = { experience_weight: 0.4, router_dc_weight: 0.4, automix_weight: 0.2, cost_weight: 0.1 };
    expect(hybridSelection.configSchema.safeParse(peer).success).toBe(true);
    expect(hybridSelection.configSchema.safeParse({ ...peer, router_dc_weight: 0 }).success).toBe(true);
    expect(hybridSelection.configSchema.safeParse({ elo_weight: 0.3, cost_weight: 0.1 }).success).toBe(true);
    const unknown = hybridSelection.configSchema.safeParse({
      ...peer,
      router_dc: { models: { large: 'nobody' } },
    });
    expect(unknown.error?.issues[0]?.path).toEqual(['router_dc', 'models', 'large']);
  });

  it('the router_dc term follows RouterDC: alone, it picks what router_dc picks, and shows its part', async () => {
    const { context } = await liveState();
    const models = {
      small: 'Mixtral-8x7B-Instruct-v0.1',
      medium: 'gemini-1.5-flash-002',
      large: 'gpt-4o-2024-05-13',
    };
    const dc = routerDcSelection.create(routerDcSelection.configSchema.parse({ models }));
    const hybrid = create({
      experience_weight: 0,
      automix_weight: 0,
      cost_weight: 0,
      router_dc_weight: 1,
      router_dc: { models },
    });
    for (const prompt of [
      'Prove that there are infinitely many primes.',
      'Summarise the causes of the French Revolution.',
    ]) {
      const expected = await dc.select(three, context({ request: prompt }));
      const chosen = await choose(hybrid, three, context({ request: prompt }));
      expect(chosen.candidate.model).toBe(expected.candidate.model);
      expect(chosen.scores?.some((s) => s.parts?.router_dc === 1)).toBe(true);
    }
  });
});
