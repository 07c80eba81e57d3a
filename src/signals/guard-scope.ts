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

function rolesOf(scope: GuardScope, defaults: readonly GuardTextRole[]): GuardTextRole[] {
  return [...new Set(scope.roles ?? defaults)].sort();
}

/** A key naming the texts of a scope, so rules reading the same texts share one scan. */
export function scopeKey(scope: GuardScope, defaults: readonly GuardTextRole[] = GUARD_TEXT_ROLES): string {
  return scope.include_history ? rolesOf(scope, defaults).join(',') : 'last';
}

export function scopeTexts(
  context: RequestContext,
  scope: GuardScope,
  defaults: readonly GuardTextRole[] = GUARD_TEXT_ROLES,
): string[] {
  if (!scope.include_history) return [context.lastUserFullText];
  const roles = new Set(rolesOf(scope, defaults));
  return context.guardTexts.filter((t) => roles.has(t.role)).map((t) => t.text);
}
