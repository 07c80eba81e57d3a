// Shedding: while the chosen pool is saturated, requests of decisions below the priority floor are answered 503
// before anything goes upstream, so the capacity left goes to the decisions that matter most.
import { PoolSaturatedError } from '../errors.ts';
import type { Policy } from '../policy/policy.ts';
import type { PoolView } from '../pools/pool-state.ts';
import type { SheddingDocument } from './shedding-schema.ts';

export interface CompiledShedding {
  /** Capacity (requests in flight at full load) of each protected pool; pools without a figure are left out. */
  readonly capacity: ReadonlyMap<string, number>;
  readonly saturation: number;
  readonly minPriority: number;
  readonly useScraped: boolean;
  readonly retryAfterSeconds: number;
}

/**
 * `fallbackCapacity`: the `least_loaded` pool strategy's capacity figures, for pools shedding gives none of.
 * Pools named by neither are not protected (policy load warns when `pools` names one).
 */
export function compileShedding(
  doc: SheddingDocument,
  fallbackCapacity: ReadonlyMap<string, number>,
): CompiledShedding {
  const capacity = new Map<string, number>();
  const protectedPools = doc.pools ?? [
    ...new Set([...Object.keys(doc.capacity), ...fallbackCapacity.keys()]),
  ];
  for (const pool of protectedPools) {
    const figure = doc.capacity[pool] ?? fallbackCapacity.get(pool);
    if (figure !== undefined) capacity.set(pool, figure);
  }
  return {
    capacity,
    saturation: doc.saturation,
    minPriority: doc.min_priority,
    useScraped: doc.use_scraped,
    retryAfterSeconds: doc.retry_after_seconds,
  };
}

/**
 * Requests on the pool: the larger of this replica's in-flight count and the engine's scraped queue (which sees
 * every replica but lags a scrape), as the `least_loaded` strategy counts them.
 */
function poolLoad(view: PoolView, useScraped: boolean): number {
  const { inFlight, scraped } = view;
  if (!useScraped || scraped === undefined) return inFlight;
  return Math.max(inFlight, (scraped.waiting ?? 0) + (scraped.running ?? 0));
}

/** What the shedder needs of a routed request. */
export interface ShedCandidate {
  readonly pool: string | undefined;
  readonly decision: string | undefined;
  /** The routing profile (recipe) whose decisions routed the request; decision names are unique only within one. */
  readonly profile?: string | undefined;
  /** A plugin answered: nothing goes to a pool. */
  readonly answeredByRouter?: boolean;
}

export class LoadShedder {
  constructor(
    private readonly settings: CompiledShedding,
    private readonly views: { view(pool: string): PoolView },
    /** The priority of a decision by name and profile (looked up only while a pool is saturated). */
    private readonly priorityOf: (decision: string, profile: string | undefined) => number | undefined,
  ) {}

  /** Throws PoolSaturatedError when the request's pool is saturated and its decision is below the floor. */
  check(request: ShedCandidate): void {
    if (request.pool === undefined || request.answeredByRouter) return;
    const capacity = this.settings.capacity.get(request.pool);
    if (capacity === undefined) return;
    const load = poolLoad(this.views.view(request.pool), this.settings.useScraped);
    if (load < this.settings.saturation * capacity) return;
    const priority =
      request.decision === undefined ? 0 : (this.priorityOf(request.decision, request.profile) ?? 0);
    if (priority >= this.settings.minPriority) return;
    throw new PoolSaturatedError(
      request.pool,
      `Pool '${request.pool}' is saturated and serves only decisions of priority ${this.settings.minPriority} or more until it frees up; retry after ${this.settings.retryAfterSeconds} s`,
      this.settings.retryAfterSeconds,
    );
  }
}

/** `least_loaded` capacity figures of the policy-wide and per-model pool selection (the smallest on conflict). */
export function leastLoadedCapacity(
  selections: readonly (Record<string, unknown> | undefined)[],
): ReadonlyMap<string, number> {
  const capacity = new Map<string, number>();
  for (const selection of selections) {
    const figures = (selection?.least_loaded as { capacity?: unknown } | undefined)?.capacity;
    if (typeof figures !== 'object' || figures === null) continue;
    for (const [pool, figure] of Object.entries(figures))
      if (typeof figure === 'number' && figure > 0)
        capacity.set(pool, Math.min(figure, capacity.get(pool) ?? Number.POSITIVE_INFINITY));
  }
  return capacity;
}

/**
 * The priority of the decision that routed a request: the profile's own decision of that name, else the top-level
 * one (the top-level guardrail decisions also win in a profile's requests).
 */
export function decisionPriority(
  policy: Pick<Policy, 'decisions' | 'profiles'>,
  decision: string,
  profile: string | undefined,
): number | undefined {
  if (profile !== undefined)
    for (const candidate of policy.profiles.values())
      if (candidate.name === profile) {
        const own = candidate.decisions.find((d) => d.name === decision);
        if (own) return own.priority;
        break;
      }
  return policy.decisions.find((d) => d.name === decision)?.priority;
}
