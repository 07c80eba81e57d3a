// `keywords` family (condition type `keyword`): OR / AND / NOR over literal or regex keywords, one scan per request.
import { z } from 'zod';
import { defineSignalFamily, RuleConfigError, type SignalMatch } from './signal-family.ts';
import { type MatcherTerm, TextMatcher } from './text-matcher.ts';

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
    const terms: MatcherTerm[] = [];
    const ranges: { start: number; end: number }[] = [];
    for (const rule of rules) {
      const start = terms.length;
      for (const text of rule.keywords) {
        terms.push({ text, caseSensitive: rule.case_sensitive, regex: rule.method === 'regex' });
      }
      ranges.push({ start, end: terms.length });
    }
    let matcher: TextMatcher;
    try {
      matcher = new TextMatcher(terms);
    } catch (error) {
      const termId = (error as SyntaxError).cause as number;
      const ruleIndex = ranges.findIndex((r) => termId >= r.start && termId < r.end);
      throw new RuleConfigError([
        {
          ruleIndex,
          path: `keywords[${termId - (ranges[ruleIndex]?.start ?? 0)}]`,
          message: `invalid regular expression: ${(error as Error).message}`,
          hint: 'fix the pattern, or drop `method: regex` to match it literally',
        },
      ]);
    }
    return {
      evaluate(context) {
        const text = context.allUserText;
        const counts = matcher.countAll(text);
        const matches: SignalMatch[] = [];
        rules.forEach((rule, index) => {
          const { start, end } = ranges[index] as { start: number; end: number };
          let found = 0;
          for (let i = start; i < end; i++) if ((counts[i] ?? 0) > 0) found++;
          const total = end - start;
          const hit =
            rule.operator === 'OR' ? found > 0 : rule.operator === 'AND' ? found === total : found === 0;
          if (hit) matches.push({ name: rule.name, confidence: 1, detail: `${found}/${total} keywords` });
        });
        return matches;
      },
    };
  },
});
