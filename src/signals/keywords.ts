// `keywords` family (condition type `keyword`): OR / AND / NOR over literal or regex keywords (one scan per request),
// or over keywords found approximately (bm25, ngram, fuzzy: keyword-methods.ts).
import { z } from 'zod';
import { type ApproximateMethod, approximateMatcher } from './keyword-methods.ts';
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
  /**
   * Empty = literal keywords with word boundaries; `regex` = each keyword is a regular expression; `bm25`, `ngram`,
   * `fuzzy` = approximate matching (keyword-methods.ts).
   */
  method: z
    .enum(['', 'regex', 'literal', 'bm25', 'ngram', 'fuzzy'], {
      message: 'method must be regex, bm25, ngram or fuzzy, or omitted for literal keywords',
    })
    .default(''),
  /** bm25: lowest BM25 score of a keyword that counts as present. */
  bm25_threshold: z.number().nonnegative().default(0.1),
  /** ngram: lowest n-gram similarity (0..1) of a keyword that counts as present. */
  ngram_threshold: z.number().min(0).max(1).default(0.4),
  /** ngram: characters per n-gram (below 2 reads as 2, as in the peer). */
  ngram_arity: z.number().int().min(1).max(8).default(3),
  /** The peer's form of `method: fuzzy` on a literal rule. */
  fuzzy_match: z.boolean().default(false),
  /** fuzzy: most Levenshtein edits (0-8), or above 8 a similarity percentage (up to 100): fuzzy-threshold.ts. */
  fuzzy_threshold: z.number().int().min(0).max(100).default(2),
});

export type KeywordRule = z.infer<typeof keywordRuleSchema>;

export const keywordsFamily = defineSignalFamily<KeywordRule>({
  family: 'keywords',
  conditionType: 'keyword',
  ruleSchema: keywordRuleSchema,
  create(rules) {
    const approximate = rules.map((rule) => {
      const method = approximateMethodOf(rule);
      return method === undefined ? undefined : approximateMatcher(approximateRule(rule, method));
    });
    // Approximate rules take no part in the scan (no terms), so rule indices stay those of the policy.
    const scanned = rules.filter((_, index) => approximate[index] === undefined);
    const matcher = new RuleTermMatcher(
      rules.map((rule, index) =>
        (approximate[index] ? [] : rule.keywords).map((text) => ({
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
    const overlap = scanned.some((rule) => rule.method === 'regex')
      ? Math.max(REGEX_MATCH_OVERLAP, longestLiteral)
      : longestLiteral;
    return {
      // The user messages are read whole (newline-joined, as anchored regexes expect), in chunks.
      evaluate(context, run = UNBOUNDED_RUN) {
        const present: Uint8Array[] = rules.map((rule) => new Uint8Array(rule.keywords.length));
        const text = context.userFullTexts.join('\n');
        // Checks the scan limit first (TextTooLongError), so the approximate matchers below read a bounded text.
        // Approximate rules read each chunk too (a keyword present in any chunk is present): a long text never
        // blocks the event loop for the whole of it.
        const pending = forEachChunk([text], run, overlap, (_, chunk) => {
          const chunkText = text.slice(chunk.from, chunk.to);
          approximate.forEach((presence, ruleIndex) => {
            if (!presence) return;
            const flags = present[ruleIndex] as Uint8Array;
            presence(chunkText).forEach((flag, term) => {
              if (flag) flags[term] = 1;
            });
          });
          if (scanned.length === 0) return;
          const scan = matcher.scan(chunkText);
          present.forEach((flags, ruleIndex) => {
            if (approximate[ruleIndex]) return;
            scan.forEachTermCount(ruleIndex, (count, term) => {
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

function approximateMethodOf(rule: KeywordRule): ApproximateMethod | undefined {
  if (rule.method === 'bm25' || rule.method === 'ngram' || rule.method === 'fuzzy') return rule.method;
  return rule.fuzzy_match && rule.method !== 'regex' ? 'fuzzy' : undefined;
}

function approximateRule(rule: KeywordRule, method: ApproximateMethod) {
  return {
    method,
    keywords: rule.keywords,
    caseSensitive: rule.case_sensitive,
    bm25Threshold: rule.bm25_threshold,
    ngramThreshold: rule.ngram_threshold,
    ngramArity: rule.ngram_arity,
    fuzzyThreshold: rule.fuzzy_threshold,
  };
}
