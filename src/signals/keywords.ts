// `keywords` family (condition type `keyword`): OR / AND / NOR over literal or regex keywords, one scan per request.
import { z } from 'zod';
import { defineSignalFamily, type SignalMatch } from './signal-family.ts';
import { RuleTermMatcher } from './text-matcher.ts';

const keywordRuleSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  operator: z
    .string()
    .transform((op) => op.toUpperCase())
    .pipe(z.enum(['AND', 'OR', 'NOR'], { message: 'operator must be AND, OR or NOR' }))
    .default('OR'),
  keywords: z
    .array(z.string().min(1, 'keywords must not be empty strings'))
    .min(1, 'list at least one keyword'),
  case_sensitive: z.boolean().default(false),
  /** Empty = literal keywords with word boundaries; `regex` = each keyword is a regular expression. */
  method: z
    .enum(['', 'regex', 'literal'], {
      message: "method must be 'regex' or omitted (bm25, ngram and fuzzy matching are not supported yet)",
    })
    .default(''),
});

export type KeywordRule = z.infer<typeof keywordRuleSchema>;

export const keywordsFamily = defineSignalFamily<KeywordRule>({
  family: 'keywords',
  conditionType: 'keyword',
  ruleSchema: keywordRuleSchema,
  create(rules) {
    const matcher = new RuleTermMatcher(
      rules.map((rule) =>
        rule.keywords.map((text) => ({
          text,
          caseSensitive: rule.case_sensitive,
          regex: rule.method === 'regex',
        })),
      ),
      (termIndex) => ({
        path: `keywords[${termIndex}]`,
        hint: 'fix the pattern, or drop `method: regex` to match it literally',
      }),
    );
    return {
      evaluate(context) {
        const scan = matcher.scan(context.allUserText);
        const matches: SignalMatch[] = [];
        rules.forEach((rule, index) => {
          const counts = scan.termCounts(index);
          let found = 0;
          for (const count of counts) if (count > 0) found++;
          const total = counts.length;
          const hit =
            rule.operator === 'OR' ? found > 0 : rule.operator === 'AND' ? found === total : found === 0;
          if (hit) matches.push({ name: rule.name, confidence: 1, detail: `${found}/${total} keywords` });
        });
        return matches;
      },
    };
  },
});
