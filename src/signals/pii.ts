// `pii` family (condition type `pii`): structured PII (email, phone, card, IBAN, SSN, IP) found once per request.
import { z } from 'zod';
import { detectPii } from '../pii/detect.ts';
import { PII_TYPES, type PiiSpan } from '../pii/types.ts';
import type { RequestContext } from '../request/request-context.ts';
import { defineSignalFamily, RuleConfigError, type RuleProblem, type SignalMatch } from './signal-family.ts';

const piiTypeList = z.array(
  z
    .string()
    .min(1)
    .transform((t) => t.trim().toUpperCase()),
);

const piiRuleSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Minimum entity confidence that counts (vLLM Semantic Router default 0.5). */
  threshold: z.number().min(0).max(1).default(0.5),
  /** Types that are allowed in requests: finding them does not match the rule. */
  pii_types_allowed: piiTypeList.default([]),
  /** Extension: only these types match the rule (default: every detected type not allowed). */
  pii_types: piiTypeList.min(1, 'list at least one type, or omit pii_types').optional(),
  /** Scan every user message rather than only the last one. */
  include_history: z.boolean().default(false),
});

export type PiiRule = z.infer<typeof piiRuleSchema>;

const SUPPORTED = new Set<string>(PII_TYPES);

/** `EMAIL_ADDRESS×2,CREDIT_CARD×1`: types and counts in order of first appearance, never values. */
export function describeTypes(spans: readonly PiiSpan[]): string {
  const counts = new Map<string, number>();
  for (const span of spans) counts.set(span.type, (counts.get(span.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${type}×${n}`).join(',');
}

export const piiFamily = defineSignalFamily<PiiRule>({
  family: 'pii',
  conditionType: 'pii',
  ruleSchema: piiRuleSchema,
  create(rules) {
    const problems: RuleProblem[] = [];
    rules.forEach((rule, ruleIndex) => {
      rule.pii_types?.forEach((type, i) => {
        if (!SUPPORTED.has(type))
          problems.push({
            ruleIndex,
            path: `pii_types[${i}]`,
            message: `PII type ${type} is not detected by this router`,
            hint: `use one of ${PII_TYPES.join(', ')}`,
          });
      });
    });
    if (problems.length > 0) throw new RuleConfigError(problems);
    const compiled = rules.map((rule) => ({
      rule,
      allowed: new Set(rule.pii_types_allowed),
      only: rule.pii_types === undefined ? undefined : new Set(rule.pii_types),
    }));
    const anyHistory = rules.some((r) => r.include_history);
    const anyLast = rules.some((r) => !r.include_history);
    return {
      evaluate(context: RequestContext) {
        // One detection pass per text for all rules.
        const last = anyLast ? detectPii(context.lastUserText) : [];
        const history = anyHistory ? detectPii(context.allUserText) : [];
        const matches: SignalMatch[] = [];
        for (const { rule, allowed, only } of compiled) {
          const spans = (rule.include_history ? history : last).filter(
            (s) =>
              s.confidence >= rule.threshold &&
              !allowed.has(s.type) &&
              (only === undefined || only.has(s.type)),
          );
          if (spans.length === 0) continue;
          const confidence = Math.max(...spans.map((s) => s.confidence));
          matches.push({ name: rule.name, confidence, detail: describeTypes(spans) });
        }
        return matches;
      },
    };
  },
});
