// The cost the response stage would record for a simulated answer: token prices, or pool time with
// `response.cost_basis: gpu_time` (the same rules as src/response/cost.ts applies to real answers).
import type { CompiledModel, CompiledPool, Policy } from '../policy/policy.ts';
import { gpuTimeCost, type Pricing, tokenCost } from '../response/cost.ts';

function pricingOf(model: CompiledModel): Pricing | undefined {
  const pricing = model.pricing;
  if (pricing === undefined) return undefined;
  return {
    ...(pricing.promptPer1m !== undefined && { prompt_per_1m: pricing.promptPer1m }),
    ...(pricing.completionPer1m !== undefined && { completion_per_1m: pricing.completionPer1m }),
    ...(pricing.cachedInputPer1m !== undefined && { cached_input_per_1m: pricing.cachedInputPer1m }),
  };
}

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
  return tokenCost(pricingOf(answer.model), {
    promptTokens: answer.promptTokens,
    completionTokens: answer.completionTokens,
    cachedPromptTokens: answer.cachedPromptTokens,
    reasoningTokens: 0,
  });
}
