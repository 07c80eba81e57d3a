// Cost of one response: from the model's token prices, or from the pool's GPU price and the time the request took.
import type { CompiledModel } from '../policy/policy.ts';
import type { TokenUsage } from './usage.ts';

/** A model's prices per million tokens (the policy's `models[].pricing`, src/policy/policy-schema.ts). */
export interface Pricing {
  readonly prompt_per_1m?: number;
  readonly completion_per_1m?: number;
  /** Price of prompt tokens read from the prompt cache; default: the prompt price. */
  readonly cached_input_per_1m?: number;
  /** Price of prompt tokens written to the prompt cache (Anthropic bills them apart); default: the prompt price. */
  readonly cache_write_per_1m?: number;
  readonly currency?: string;
}

const PER_MILLION = 1_000_000;

/**
 * Uncached prompt × prompt price + cached prompt × cached price + cache writes × cache-write price + completion ×
 * completion price, per million tokens, in the pricing's currency. Undefined when the model has no prices. A price
 * the pricing leaves out counts as 0 (the cache prices fall back to the prompt price). Cached and cache-write counts
 * are capped at the prompt count, so that a server's inconsistent report never makes a negative term.
 */
export function tokenCost(pricing: Pricing | undefined, usage: TokenUsage): number | undefined {
  if (pricing === undefined) return undefined;
  const { prompt_per_1m, completion_per_1m, cached_input_per_1m, cache_write_per_1m } = pricing;
  if (
    prompt_per_1m === undefined &&
    completion_per_1m === undefined &&
    cached_input_per_1m === undefined &&
    cache_write_per_1m === undefined
  ) {
    return undefined;
  }
  const promptPrice = prompt_per_1m ?? 0;
  const prompt = Math.max(0, usage.promptTokens);
  const cached = Math.min(prompt, Math.max(0, usage.cachedPromptTokens));
  const written = Math.min(prompt - cached, Math.max(0, usage.cacheWriteTokens ?? 0));
  const uncached = prompt - cached - written;
  return (
    (uncached * promptPrice +
      cached * (cached_input_per_1m ?? promptPrice) +
      written * (cache_write_per_1m ?? promptPrice) +
      Math.max(0, usage.completionTokens) * (completion_per_1m ?? 0)) /
    PER_MILLION
  );
}

/** The pool's price per GPU hour × the seconds the request held it; undefined when the pool has no price. */
export function gpuTimeCost(costPerHour: number | undefined, seconds: number): number | undefined {
  if (costPerHour === undefined || !Number.isFinite(seconds)) return undefined;
  return (costPerHour * Math.max(0, seconds)) / 3600;
}

const pricingByModel = new WeakMap<CompiledModel, Pricing | undefined>();

/** A compiled model's token prices in the shape tokenCost reads (undefined when the policy gives none). */
export function modelPricing(model: CompiledModel): Pricing | undefined {
  if (pricingByModel.has(model)) return pricingByModel.get(model);
  const pricing = model.pricing;
  const shaped: Pricing | undefined = pricing && {
    ...(pricing.promptPer1m !== undefined && { prompt_per_1m: pricing.promptPer1m }),
    ...(pricing.completionPer1m !== undefined && { completion_per_1m: pricing.completionPer1m }),
    ...(pricing.cachedInputPer1m !== undefined && { cached_input_per_1m: pricing.cachedInputPer1m }),
    ...(pricing.currency !== undefined && { currency: pricing.currency }),
  };
  // Compiled models are immutable: a reload compiles new ones.
  pricingByModel.set(model, shaped);
  return shaped;
}
