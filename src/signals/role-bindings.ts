// `role_bindings` family (condition type `authz`): roles granted to the caller by its trusted identity.
import { z } from 'zod';
import { defineSignalFamily, type SignalMatch } from './signal-family.ts';

const roleBindingSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** What decisions reference: `{type: authz, name: <role>}`. */
  role: z.string().min(1),
  subjects: z
    .array(
      z.strictObject({
        kind: z
          .string()
          .transform((k) => k.toLowerCase())
          .pipe(z.enum(['user', 'group'], { message: 'kind must be User or Group' })),
        name: z.string().min(1),
      }),
    )
    .min(1, 'a role binding needs at least one subject'),
});

export type RoleBindingRule = z.infer<typeof roleBindingSchema>;

export const roleBindingsFamily = defineSignalFamily<RoleBindingRule>({
  family: 'role_bindings',
  conditionType: 'authz',
  ruleSchema: roleBindingSchema,
  referenceNamesOf: (rule) => [rule.role],
  create(rules) {
    return {
      evaluate(context) {
        // Identity comes only from the policy's trusted source (see identity.source); without a caller no role is
        // held and such requests fall through to decisions without authz.
        const identity = context.identity;
        if (!identity) return [];
        const roles = new Map<string, SignalMatch>();
        for (const rule of rules) {
          if (roles.has(rule.role)) continue;
          const bound = rule.subjects.some((s) =>
            s.kind === 'user' ? s.name === identity.userId : identity.groups.has(s.name),
          );
          if (bound) roles.set(rule.role, { name: rule.role, confidence: 1, detail: `binding=${rule.name}` });
        }
        return [...roles.values()];
      },
    };
  },
});
