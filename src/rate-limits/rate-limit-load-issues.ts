// Problems of `rate_limits` found at policy load that need the rest of the policy: shedding's pools and capacity
// figures, and shared counters without a shared store.
import type { PolicyDocument } from '../policy/policy-schema.ts';
import { leastLoadedCapacity } from './load-shedding.ts';

export interface RateLimitLoadIssue {
  readonly severity: 'error' | 'warning';
  /** Under `rate_limits`. */
  readonly path: (string | number)[];
  readonly message: string;
  readonly hint?: string;
}

/** The `least_loaded` capacity figures of the policy's pool selection (policy-wide and per model). */
export function policyPoolCapacity(doc: PolicyDocument): ReadonlyMap<string, number> {
  return leastLoadedCapacity([doc.pool_selection, ...doc.models.map((m) => m.pool_selection)]);
}

export function rateLimitLoadIssues(doc: PolicyDocument): RateLimitLoadIssue[] {
  const section = doc.rate_limits;
  if (!section) return [];
  const issues: RateLimitLoadIssue[] = [];
  if (section.counters === 'shared' && doc.state_store.backend === 'memory')
    issues.push({
      severity: 'warning',
      path: ['counters'],
      message:
        'counters: shared with state_store.backend memory: the counters are local to this replica, each replica admits the whole budget',
      hint: 'set state_store.backend: redis (with redis.address) to share them, or counters: local',
    });
  const shedding = section.shedding;
  if (!shedding) return issues;
  const pools = new Set(doc.pools.map((p) => p.name));
  const fallback = policyPoolCapacity(doc);
  shedding.pools?.forEach((pool, index) => {
    if (!pools.has(pool))
      issues.push({
        severity: 'error',
        path: ['shedding', 'pools', index],
        message: `shedding names pool '${pool}', which the policy does not define`,
      });
    else if (shedding.capacity[pool] === undefined && !fallback.has(pool))
      issues.push({
        severity: 'warning',
        path: ['shedding', 'pools', index],
        message: `shedding is off for pool '${pool}': it has no capacity figure`,
        hint: `set rate_limits.shedding.capacity.${pool} to the requests in flight it serves at full load`,
      });
  });
  for (const pool of Object.keys(shedding.capacity))
    if (!pools.has(pool))
      issues.push({
        severity: 'error',
        path: ['shedding', 'capacity', pool],
        message: `shedding gives a capacity for pool '${pool}', which the policy does not define`,
      });
  if (shedding.pools === undefined && Object.keys(shedding.capacity).length === 0 && fallback.size === 0)
    issues.push({
      severity: 'warning',
      path: ['shedding'],
      message: 'shedding protects no pool: no pool has a capacity figure',
      hint: 'set rate_limits.shedding.capacity: {<pool>: <requests in flight at full load>}',
    });
  return issues;
}
