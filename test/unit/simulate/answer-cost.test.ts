// The cost a simulated answer reports to the selection algorithm: token prices (cached prompt tokens at the cached
// price), or the pool's GPU time with `response.cost_basis: gpu_time`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { answerCost } from '../../../src/simulate/answer-cost.ts';

const policyText = (basis: string) => `
version: v1
default_model: chat
response: { cost_basis: ${basis} }
pools:
  - { name: p, max_context_tokens: 8K, cost_per_hour: 3.6 }
models:
  - name: chat
    pools: [p]
    pricing: { prompt_per_1m: 1, completion_per_1m: 4, cached_input_per_1m: 0.1 }
`;

const policies: Policy[] = [];
beforeAll(async () => {
  policies.push(await compilePolicyText(policyText('tokens'), 'tokens.yaml'));
  policies.push(await compilePolicyText(policyText('gpu_time'), 'gpu.yaml'));
});
afterAll(() => {
  for (const policy of policies) policy.close();
});

describe('answerCost', () => {
  it('prices tokens, cached prompt tokens at the cached price', () => {
    const policy = policies[0] as Policy;
    const model = policy.defaultModel;
    const answer = { model, pool: model.pools[0] as NonNullable<(typeof model.pools)[0]>, latencyMs: 2000 };
    const cost = answerCost(policy, {
      ...answer,
      promptTokens: 1000,
      cachedPromptTokens: 600,
      completionTokens: 100,
    });
    expect(cost).toBeCloseTo((400 * 1 + 600 * 0.1 + 100 * 4) / 1e6, 12);
  });

  it('prices the pool time with cost_basis gpu_time', () => {
    const policy = policies[1] as Policy;
    const model = policy.defaultModel;
    const pool = model.pools[0] as NonNullable<(typeof model.pools)[0]>;
    const cost = answerCost(policy, {
      model,
      pool,
      latencyMs: 2000,
      promptTokens: 1,
      cachedPromptTokens: 0,
      completionTokens: 1,
    });
    // 2 s of a 3.6-per-hour pool.
    expect(cost).toBeCloseTo(0.002, 12);
  });
});
