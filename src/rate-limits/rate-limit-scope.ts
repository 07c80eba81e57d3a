// The names a rate limit's scope may use: the policy's models, pools and decisions (top level and every recipe).
import type { PolicyDocument } from '../policy/policy-schema.ts';

export function rateLimitScopeNames(doc: PolicyDocument): {
  models: ReadonlySet<string>;
  pools: ReadonlySet<string>;
  decisions: ReadonlySet<string>;
} {
  const decisions = new Set(doc.routing.decisions.map((d) => d.name));
  for (const recipe of doc.recipes) for (const d of recipe.routing.decisions) decisions.add(d.name);
  return {
    models: new Set(doc.models.map((m) => m.name)),
    pools: new Set(doc.pools.map((p) => p.name)),
    decisions,
  };
}
