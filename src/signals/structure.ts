// `structure` family: counts, existence or density of regexes / keyword sets / keyword sequences in the user's turn.
import { z } from 'zod';
import { describePredicate, numericPredicateSchema, testPredicate } from './numeric-predicate.ts';
import { defineSignalFamily, type SignalMatch } from './signal-family.ts';
import { type MatcherTerm, RuleTermMatcher } from './text-matcher.ts';
import { forEachChunk, thenOrNow, UNBOUNDED_RUN } from './text-scan.ts';

/** Longest regex or keyword occurrence counted whole across a chunk border. */
const MATCH_OVERLAP = 256;

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

/** CJK ranges: each character is a text unit of its own. */
const CJK_RANGES: readonly (readonly [from: number, to: number])[] = [
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0x3400, 0x4dbf], // extension A
  [0x3040, 0x30ff], // hiragana, katakana
  [0xac00, 0xd7af], // hangul syllables
  [0x1100, 0x11ff], // hangul jamo
  [0xf900, 0xfaff], // compatibility ideographs
];
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

const UNKNOWN = 0;
const SEPARATOR = 1;
const WORD = 2;
const CJK = 3;

/**
 * Class of each UTF-16 unit for text units: ASCII and CJK set up front, any other unit learnt from the regex on
 * first sight (surrogate halves are judged one by one, as the regex sees a lone unit).
 */
const unitClasses = new Uint8Array(0x10000);
for (let code = 0; code < 128; code++) {
  const isWord = (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  unitClasses[code] = isWord ? WORD : SEPARATOR;
}
for (const [from, to] of CJK_RANGES) unitClasses.fill(CJK, from, to + 1);

function unitClass(text: string, i: number): number {
  const code = text.charCodeAt(i);
  let known = unitClasses[code] as number;
  if (known === UNKNOWN) {
    known = LETTER_OR_DIGIT.test(text[i] as string) ? WORD : SEPARATOR;
    unitClasses[code] = known;
  }
  return known;
}

/**
 * Text units for density: each CJK character is one unit, each run of other letters/digits is one. With a range,
 * the units that start in `[from, to)` (a run that began before `from` belongs to the range it began in).
 */
export function countTextUnits(text: string, from = 0, to = text.length): number {
  let units = 0;
  // Branch-free: word/separator alternate unpredictably, and a mispredicted branch per word costs more than the
  // rest of the loop.
  let previousWord = from > 0 && unitClass(text, from - 1) === WORD ? 1 : 0;
  for (let i = from; i < to; i++) {
    const known = unitClass(text, i);
    const word = (known >> 1) & ~known & 1;
    units += (word & (previousWord ^ 1)) + ((known >> 1) & known & 1);
    previousWord = word;
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
    const needsScan = rules.some(
      (r) => r.feature.source.type === 'regex' || r.feature.source.type === 'keyword_set',
    );
    const termCounts = rules.map((rule) =>
      rule.feature.source.type === 'regex' ? 1 : (rule.feature.source.keywords?.length ?? 0),
    );
    return {
      // The last user message is read whole, in chunks; each occurrence counts in the chunk it starts in.
      evaluate(context, run = UNBOUNDED_RUN) {
        const text = context.lastUserFullText;
        const counts = termCounts.map((n) => new Float64Array(n));
        let unitCount = 0;
        const pending = forEachChunk([text], run, MATCH_OVERLAP, (_, chunk) => {
          const owned = { from: chunk.ownedFrom - chunk.from, to: chunk.ownedTo - chunk.from };
          if (needsScan) {
            const scan = matcher.scan(text.slice(chunk.from, chunk.to), owned);
            counts.forEach((ruleCounts, ruleIndex) => {
              scan.forEachTermCount(ruleIndex, (count, term) => {
                ruleCounts[term] = (ruleCounts[term] ?? 0) + count;
              });
            });
          }
          if (needsUnits) unitCount += countTextUnits(text, chunk.ownedFrom, chunk.ownedTo);
        });
        return thenOrNow(pending, () => matchesOf(text, counts, Math.max(1, unitCount)));
      },
    };
    function matchesOf(text: string, counts: readonly Float64Array[], units: number): SignalMatch[] {
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
          value = 0;
          for (const count of counts[index] ?? []) value += count;
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
    }
  },
});
