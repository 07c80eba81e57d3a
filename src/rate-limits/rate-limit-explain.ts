// Which of the policy's rate limits a request is counted against, and under which kind of key: for `explain` (no
// counters are read or charged; the key itself is not shown).
import { requestKeys } from './rate-limit-keys.ts';
import { type CompiledRateLimits, inScope, type RateLimitRequest } from './rate-limiter.ts';

export interface ApplicableLimit {
  readonly name: string;
  readonly key: string;
  /** `request`: the request carries the key; `anonymous`: counted under the shared key of keyless requests. */
  readonly counted: 'request' | 'anonymous';
  readonly budgets: readonly string[];
}

export function applicableLimits(settings: CompiledRateLimits, request: RateLimitRequest): ApplicableLimit[] {
  const keys = requestKeys(settings.headers, request.headers, request.identity);
  const out: ApplicableLimit[] = [];
  for (const limit of settings.limits) {
    if (limit.afterRouting && !inScope(limit, request)) continue;
    const present = keys[limit.key] !== undefined;
    if (!present && limit.missingKey === 'skip') continue;
    const seconds = limit.windowMs / 1000;
    const budgets = [
      ...(limit.requestsPerWindow === undefined ? [] : [`${limit.requestsPerWindow} requests/${seconds}s`]),
      ...(limit.tokensPerWindow === undefined ? [] : [`${limit.tokensPerWindow} tokens/${seconds}s`]),
      ...(limit.maxConcurrent === undefined ? [] : [`${limit.maxConcurrent} concurrent`]),
    ];
    out.push({ name: limit.name, key: limit.key, counted: present ? 'request' : 'anonymous', budgets });
  }
  return out;
}
