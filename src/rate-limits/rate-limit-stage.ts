// The rate-limit stage of routing: unscoped limits before the signals run, limits scoped to a model, pool or
// decision once routing chose them; and the keys as Envoy dynamic metadata for a global rate-limit service.
import type { PhaseResult } from '../mutations.ts';
import type { RequestContext } from '../request/request-context.ts';
import type { LoadShedder } from './load-shedding.ts';
import type { RateLimiter, RateLimitRequest, RateLimitTicket } from './rate-limiter.ts';

/** What routing chose, for scoped limits. */
export interface RoutedFacts {
  readonly model: string;
  readonly pool: string | undefined;
  readonly decision: string | undefined;
  /** The routing profile (recipe) that routed the request, if any. */
  readonly profile?: string | undefined;
  /** A plugin answered (block, fast response): no model is called, so no tokens are used. */
  readonly answeredByRouter?: boolean;
}

function limitRequest(context: RequestContext, routed?: RoutedFacts): RateLimitRequest {
  return {
    headers: context.headers,
    identity: context.identity,
    promptTokens: context.promptTokens,
    ...(routed && { model: routed.model, pool: routed.pool, decision: routed.decision }),
  };
}

/**
 * Runs `route` between the two admissions. A request refused by a scoped limit, or whose routing fails, gives back
 * what the unscoped limits charged (it never reached a model).
 */
export async function admitAround<T>(
  limiter: RateLimiter | undefined,
  context: RequestContext,
  route: () => Promise<T>,
  factsOf: (routed: T) => RoutedFacts,
  /** Policy `rate_limits.shedding`: checked once the pool is chosen, before the scoped limits charge. */
  shedder?: LoadShedder,
): Promise<{ routed: T; ticket: RateLimitTicket | undefined }> {
  if (!limiter) return { routed: await route(), ticket: undefined };
  const early = await limiter.admit('before_routing', limitRequest(context));
  try {
    const routed = await route();
    const facts = factsOf(routed);
    shedder?.check(facts);
    const late = await limiter.admit('after_routing', limitRequest(context, facts));
    const ticket = early.join(late);
    if (facts.answeredByRouter) ticket.settle(0);
    return { routed, ticket };
  } catch (error) {
    early.cancel();
    throw error;
  }
}

/**
 * Adds the request's keys to the routing facts in Envoy dynamic metadata (`rate_limit_tenant`, `rate_limit_user`,
 * `rate_limit_api_key` as a digest, `rate_limit_identity`), for Envoy's `ratelimit` filter descriptors.
 */
export function withRateLimitMetadata(
  limiter: RateLimiter | undefined,
  context: RequestContext,
  result: PhaseResult,
  namespace: string,
): PhaseResult {
  if (!limiter?.settings.envoyMetadata || result.kind !== 'continue' || !result.dynamicMetadata)
    return result;
  const keys = limiter.keysOf(context);
  const descriptors: Record<string, string> = {};
  for (const [source, key] of Object.entries(keys))
    if (key !== undefined) descriptors[`rate_limit_${source}`] = key;
  return {
    ...result,
    dynamicMetadata: {
      ...result.dynamicMetadata,
      [namespace]: { ...result.dynamicMetadata[namespace], ...descriptors },
    },
  };
}
