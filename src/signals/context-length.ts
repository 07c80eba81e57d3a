// `context` family: matches when the request's estimated token count lies in [min_tokens, max_tokens].
import { z } from 'zod';
import { tokenCountSchema } from '../policy/units.ts';
import { defineSignalFamily, type SignalMatch } from './signal-family.ts';

const contextRuleSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    min_tokens: tokenCountSchema.optional(),
    max_tokens: tokenCountSchema.optional(),
  })
  .refine((r) => r.min_tokens !== undefined || r.max_tokens !== undefined, {
    message: 'set min_tokens, max_tokens or both (e.g. min_tokens: 32K)',
  })
  .refine((r) => r.min_tokens === undefined || r.max_tokens === undefined || r.min_tokens <= r.max_tokens, {
    message: 'min_tokens must not exceed max_tokens',
  });

export type ContextRule = z.infer<typeof contextRuleSchema>;

export const contextFamily = defineSignalFamily<ContextRule>({
  family: 'context',
  conditionType: 'context',
  ruleSchema: contextRuleSchema,
  create(rules) {
    return {
      evaluate(context) {
        const tokens = context.promptTokens;
        const matches: SignalMatch[] = [];
        for (const rule of rules) {
          if (tokens >= (rule.min_tokens ?? 0) && tokens <= (rule.max_tokens ?? Number.POSITIVE_INFINITY)) {
            matches.push({ name: rule.name, confidence: 1, detail: `tokens=${tokens}`, value: tokens });
          }
        }
        return matches;
      },
    };
  },
});
