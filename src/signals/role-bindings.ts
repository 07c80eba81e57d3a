// `role_bindings` family (condition type `authz`): roles granted to the caller by trusted identity headers.
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
  referenceNames: (rules) => [...new Set(rules.map((r) => r.role))],
  create(rules, deps) {
    const userHeader = deps.identity.userIdHeader.toLowerCase();
    const groupsHeader = deps.identity.userGroupsHeader.toLowerCase();
    return {
      evaluate(context) {
        // Without an authenticated user no role is held: such requests fall through to decisions without authz.
        const user = context.headers.get(userHeader)?.trim();
        if (!user) return [];
        const groups = new Set(
          (context.headers.get(groupsHeader) ?? '')
            .split(',')
            .map((g) => g.trim())
            .filter(Boolean),
        );
        const roles = new Map<string, SignalMatch>();
        for (const rule of rules) {
          if (roles.has(rule.role)) continue;
          const bound = rule.subjects.some((s) => (s.kind === 'user' ? s.name === user : groups.has(s.name)));
          if (bound) roles.set(rule.role, { name: rule.role, confidence: 1, detail: `binding=${rule.name}` });
        }
        return [...roles.values()];
      },
    };
  },
});
