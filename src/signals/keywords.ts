// `keywords` family (condition type `keyword`): OR / AND / NOR over literal or regex keywords, one scan per request.
import { z } from 'zod';
import { defineSignalFamily, type SignalMatch } from './signal-family.ts';
import { RuleTermMatcher } from './text-matcher.ts';
import { forEachChunk, thenOrNow, UNBOUNDED_RUN } from './text-scan.ts';

/** Longest regex keyword match that is found whole across a chunk border (literals: their own length). */
const REGEX_MATCH_OVERLAP = 256;

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
    const longestLiteral = Math.max(
      0,
      ...rules.flatMap((rule) => (rule.method === 'regex' ? [] : rule.keywords.map((k) => k.length))),
    );
    const overlap = rules.some((rule) => rule.method === 'regex')
      ? Math.max(REGEX_MATCH_OVERLAP, longestLiteral)
      : longestLiteral;
    return {
      // The user messages are read whole (newline-joined, as anchored regexes expect), in chunks.
      evaluate(context, run = UNBOUNDED_RUN) {
        const present = rules.map((rule) => new Uint8Array(rule.keywords.length));
        const text = context.userFullTexts.join('\n');
        const pending = forEachChunk([text], run, overlap, (_, chunk) => {
          const scan = matcher.scan(text.slice(chunk.from, chunk.to));
          present.forEach((flags, ruleIndex) => {
            scan.termCounts(ruleIndex).forEach((count, term) => {
              if (count > 0) flags[term] = 1;
            });
          });
        });
        return thenOrNow(pending, () => matchesOf(present));
      },
    };
    function matchesOf(present: readonly Uint8Array[]): SignalMatch[] {
      const matches: SignalMatch[] = [];
      rules.forEach((rule, index) => {
        const flags = present[index] as Uint8Array;
        let found = 0;
        for (const flag of flags) found += flag;
        const total = flags.length;
        const hit =
          rule.operator === 'OR' ? found > 0 : rule.operator === 'AND' ? found === total : found === 0;
        if (hit) matches.push({ name: rule.name, confidence: 1, detail: `${found}/${total} keywords` });
      });
      return matches;
    }
  },
});
