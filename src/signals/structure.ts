// `structure` family: counts, existence or density of regexes / keyword sets / keyword sequences in the user's turn.
import { z } from 'zod';
import { describePredicate, numericPredicateSchema, testPredicate } from './numeric-predicate.ts';
import { defineSignalFamily, type SignalMatch } from './signal-family.ts';
import { type MatcherTerm, RuleTermMatcher } from './text-matcher.ts';

const sourceSchema = z.strictObject({
  type: z.enum(['regex', 'keyword_set', 'sequence', 'text_bytes']),
  pattern: z.string().optional(),
  keywords: z.array(z.string().min(1)).optional(),
  case_sensitive: z.boolean().default(false),
  /** For `sequence`: each inner list is keywords that must appear in that order. */
  sequences: z.array(z.array(z.string().min(1)).min(1)).optional(),
});

const structureRuleSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    feature: z.strictObject({
      type: z.enum(['exists', 'count', 'density', 'sequence']),
      source: sourceSchema,
    }),
    predicate: numericPredicateSchema.optional(),
  })
  .superRefine((rule, ctx) => {
    const { type, source } = rule.feature;
    const problem = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    if (source.type === 'regex' && !source.pattern)
      problem(['feature', 'source', 'pattern'], 'a regex source needs `pattern`');
    if (source.type === 'keyword_set' && !source.keywords?.length) {
      problem(['feature', 'source', 'keywords'], 'a keyword_set source needs `keywords`');
    }
    if ((type === 'sequence') !== (source.type === 'sequence')) {
      problem(
        ['feature', 'type'],
        '`feature.type: sequence` goes with `source.type: sequence` and only with it',
      );
    }
    if (source.type === 'sequence' && !source.sequences?.length) {
      problem(['feature', 'source', 'sequences'], 'a sequence source needs `sequences`');
    }
    if (source.type === 'text_bytes' && type !== 'count')
      problem(['feature', 'type'], 'text_bytes supports only `count`');
    if (type === 'exists' && rule.predicate) problem(['predicate'], '`exists` takes no predicate');
    if (type !== 'exists' && type !== 'sequence' && !rule.predicate) {
      problem(['predicate'], `\`${type}\` needs a predicate such as {gte: 3}`);
    }
  });

export type StructureRule = z.infer<typeof structureRuleSchema>;

function isCjk(code: number): boolean {
  return (
    (code >= 0x4e00 && code <= 0x9fff) || // CJK unified ideographs
    (code >= 0x3400 && code <= 0x4dbf) || // extension A
    (code >= 0x3040 && code <= 0x30ff) || // hiragana, katakana
    (code >= 0xac00 && code <= 0xd7af) || // hangul syllables
    (code >= 0x1100 && code <= 0x11ff) || // hangul jamo
    (code >= 0xf900 && code <= 0xfaff) // compatibility ideographs
  );
}
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** Text units for density: each CJK character is one unit, each run of other letters/digits is one. */
export function countTextUnits(text: string): number {
  let units = 0;
  let inRun = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let cjk = false;
    let isWord: boolean;
    if (code < 128) {
      isWord = (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
    } else {
      cjk = isCjk(code);
      isWord = cjk || LETTER_OR_DIGIT.test(text[i] as string);
    }
    if (cjk) {
      units++;
      inRun = false;
    } else if (isWord) {
      if (!inRun) units++;
      inRun = true;
    } else {
      inRun = false;
    }
  }
  return units;
}

function countSequence(text: string, sequence: readonly string[], caseSensitive: boolean): number {
  const haystack = caseSensitive ? text : text.toLowerCase();
  let count = 0;
  let from = 0;
  for (;;) {
    for (const word of sequence) {
      const at = haystack.indexOf(caseSensitive ? word : word.toLowerCase(), from);
      if (at < 0) return count;
      from = at + word.length;
    }
    count++;
  }
}

export const structureFamily = defineSignalFamily<StructureRule>({
  family: 'structure',
  conditionType: 'structure',
  ruleSchema: structureRuleSchema,
  create(rules) {
    // One matcher for every regex and keyword of every rule: one pass per request.
    const matcher = new RuleTermMatcher(
      rules.map(({ feature: { source } }): MatcherTerm[] => {
        const caseSensitive = source.case_sensitive;
        if (source.type === 'regex') return [{ text: source.pattern ?? '', caseSensitive, regex: true }];
        if (source.type === 'keyword_set')
          return (source.keywords ?? []).map((text) => ({ text, caseSensitive, regex: false }));
        return [];
      }),
      () => ({ path: 'feature.source.pattern' }),
    );
    const needsUnits = rules.some((r) => r.feature.type === 'density');
    return {
      evaluate(context) {
        const text = context.lastUserText;
        const scan = matcher.scan(text);
        const units = needsUnits ? Math.max(1, countTextUnits(text)) : 1;
        const matches: SignalMatch[] = [];
        rules.forEach((rule, index) => {
          const { type, source } = rule.feature;
          let value: number;
          if (source.type === 'text_bytes') value = Buffer.byteLength(text, 'utf8');
          else if (source.type === 'sequence') {
            value = (source.sequences ?? []).reduce(
              (n, seq) => n + countSequence(text, seq, source.case_sensitive),
              0,
            );
          } else {
            value = scan.termCounts(index).reduce((sum, count) => sum + count, 0);
          }
          if (type === 'density') value /= units;
          const hit =
            type === 'exists' || (type === 'sequence' && !rule.predicate)
              ? value > 0
              : testPredicate(rule.predicate ?? {}, value);
          if (hit) {
            const detail = `${type}=${Number(value.toFixed(4))}${rule.predicate ? ` (${describePredicate(rule.predicate)})` : ''}`;
            matches.push({ name: rule.name, confidence: 1, detail });
          }
        });
        return matches;
      },
    };
  },
});
