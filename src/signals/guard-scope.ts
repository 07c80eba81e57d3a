// Which request text a guard rule (pii, jailbreak) reads: the last user message, or with `include_history` every
// piece of text the request carries upstream (optionally only some roles). Always whole, never capped.
import { z } from 'zod';
import { GUARD_TEXT_ROLES, type GuardTextRole, type RequestContext } from '../request/request-context.ts';

export const guardRolesSchema = z
  .array(z.enum(GUARD_TEXT_ROLES as [GuardTextRole, ...GuardTextRole[]]))
  .min(1, `list at least one of ${GUARD_TEXT_ROLES.join(', ')}, or omit roles`)
  .optional();

export interface GuardScope {
  readonly include_history: boolean;
  /** With include_history: the parts to read (default: the family's). */
  readonly roles?: readonly GuardTextRole[] | undefined;
}

interface ScopeRoles {
  readonly key: string;
  readonly roles: ReadonlySet<GuardTextRole>;
}

/** Per rule (scopes are the policy's rule objects) and family defaults: worked out once, read per request. */
const rolesByScope = new WeakMap<GuardScope, Map<readonly GuardTextRole[], ScopeRoles>>();

function rolesOf(scope: GuardScope, defaults: readonly GuardTextRole[]): ScopeRoles {
  let byDefaults = rolesByScope.get(scope);
  if (!byDefaults) {
    byDefaults = new Map();
    rolesByScope.set(scope, byDefaults);
  }
  let known = byDefaults.get(defaults);
  if (!known) {
    const roles = [...new Set(scope.roles ?? defaults)].sort();
    known = { key: roles.join(','), roles: new Set(roles) };
    byDefaults.set(defaults, known);
  }
  return known;
}

/** A key naming the texts of a scope, so rules reading the same texts share one scan. */
export function scopeKey(scope: GuardScope, defaults: readonly GuardTextRole[] = GUARD_TEXT_ROLES): string {
  return scope.include_history ? rolesOf(scope, defaults).key : 'last';
}

export function scopeTexts(
  context: RequestContext,
  scope: GuardScope,
  defaults: readonly GuardTextRole[] = GUARD_TEXT_ROLES,
): string[] {
  if (!scope.include_history) return [context.lastUserFullText];
  const { roles } = rolesOf(scope, defaults);
  return context.guardTexts.filter((t) => roles.has(t.role)).map((t) => t.text);
}
