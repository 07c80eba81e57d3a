// The cost the response stage would record for a simulated answer: token prices, or pool time with
// `response.cost_basis: gpu_time` (the same rules as src/response/cost.ts applies to real answers).
import type { CompiledModel, CompiledPool, Policy } from '../policy/policy.ts';
import { gpuTimeCost, modelPricing, tokenCost } from '../response/cost.ts';

export interface SimulatedAnswer {
  readonly model: CompiledModel;
  readonly pool: CompiledPool;
  readonly promptTokens: number;
  readonly cachedPromptTokens: number;
  readonly completionTokens: number;
  readonly latencyMs: number;
}

export function answerCost(policy: Policy, answer: SimulatedAnswer): number | undefined {
  if (policy.response.costBasis === 'gpu_time')
    return gpuTimeCost(answer.pool.costPerHour, answer.latencyMs / 1000);
  return tokenCost(modelPricing(answer.model), {
    promptTokens: answer.promptTokens,
    completionTokens: answer.completionTokens,
    cachedPromptTokens: answer.cachedPromptTokens,
    reasoningTokens: 0,
  });
}
