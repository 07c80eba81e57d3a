// `metadata` family: predicates over the request body's `metadata` object (client-supplied, so untrusted).
import { z } from 'zod';
import { defineSignalFamily, type SignalMatch } from './signal-family.ts';

const comparators = {
  equals: z.string().optional(),
  in: z.array(z.string()).min(1).optional(),
  exists: z.boolean().optional(),
};

/** The comparator sits on the rule, or under `predicate:` as vLLM Semantic Router writes it. */
const metadataRuleSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    key: z.string().min(1),
    ...comparators,
    predicate: z.strictObject(comparators).optional(),
  })
  .refine(
    (r) =>
      [r.equals, r.in, r.exists, r.predicate?.equals, r.predicate?.in, r.predicate?.exists].filter(
        (v) => v !== undefined,
      ).length === 1,
    { message: 'set exactly one of equals, in, exists (on the rule or under predicate)' },
  );

export type MetadataRule = z.infer<typeof metadataRuleSchema>;

function comparatorOf(rule: MetadataRule): Pick<MetadataRule, 'equals' | 'in' | 'exists'> {
  return rule.predicate ?? rule;
}

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export const metadataFamily = defineSignalFamily<MetadataRule>({
  family: 'metadata',
  conditionType: 'metadata',
  ruleSchema: metadataRuleSchema,
  create(rules) {
    const compiled = rules.map((rule) => ({ ...comparatorOf(rule), name: rule.name, key: rule.key }));
    return {
      evaluate(context) {
        const metadata = context.request.metadata;
        const matches: SignalMatch[] = [];
        for (const rule of compiled) {
          const present = Object.hasOwn(metadata, rule.key) && metadata[rule.key] !== null;
          const value = present ? asString(metadata[rule.key]) : undefined;
          const hit =
            rule.exists !== undefined
              ? present === rule.exists
              : value !== undefined &&
                (rule.equals !== undefined ? value === rule.equals : (rule.in ?? []).includes(value));
          if (hit) matches.push({ name: rule.name, confidence: 1 });
        }
        return matches;
      },
    };
  },
});
