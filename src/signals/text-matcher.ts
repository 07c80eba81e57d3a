// Finds many keywords (literal, word-bounded, optionally case-sensitive) and regexes in one pass per text.
import { AhoCorasick, FOLD_STOP } from './aho-corasick.ts';
import { RuleConfigError } from './signal-family.ts';

export interface MatcherTerm {
  readonly text: string;
  readonly caseSensitive: boolean;
  /** Treat `text` as a regular expression rather than a literal. */
  readonly regex: boolean;
}

const WORD_CHAR = /[\p{L}\p{N}_]/u;
const HAN = /\p{Script=Han}/u;

/**
 * vLLM Semantic Router wraps a literal keyword in `\b…\b` when it contains word characters and no Han
 * characters; Han text has no spaces between words, so those keywords match anywhere.
 */
function needsWordBoundary(text: string): boolean {
  return WORD_CHAR.test(text) && !HAN.test(text);
}

/**
 * Characters whose lower case is not one code unit of its own: U+0130 (two units), U+03A3 (final or medial sigma
 * by its neighbours) and the high surrogates of the astral scripts with case (Deseret, Osage, Vithkuqi, Old
 * Hungarian, Garay, Warang Citi, Medefaidrin, Adlam). A text without them is lower-cased unit by unit; the fold
 * table stops the scan at them (FOLD_STOP), and at U+FFFF, whose code is that marker.
 */
const COMPLEX_LOWER_CASE = [0x130, 0x3a3, 0xd801, 0xd803, 0xd806, 0xd81b, 0xd83a, FOLD_STOP];

let lowerCaseTable: Uint16Array | undefined;

/**
 * UTF-16 code unit → its lower case, built on first use from one `toLowerCase()` of every BMP character. Reading a
 * text through it gives `text.toLowerCase()` until a unit of COMPLEX_LOWER_CASE stops it, without the copy: for
 * two-byte strings (CJK, emoji, lone surrogates) `toLowerCase()` costs more than the whole scan.
 */
function lowerCaseFold(): Uint16Array {
  if (lowerCaseTable !== undefined) return lowerCaseTable;
  const units = new Uint16Array(0x10000);
  for (let code = 0; code < units.length; code++) {
    const complex = (code >= 0xd800 && code <= 0xdfff) || code === 0x130 || code === 0x3a3;
    units[code] = complex ? 0x20 : code;
  }
  let all = '';
  for (let from = 0; from < units.length; from += 4096)
    all += String.fromCharCode(...units.subarray(from, from + 4096));
  const lower = all.toLowerCase();
  lowerCaseTable = new Uint16Array(0x10000);
  for (let code = 0; code < units.length; code++)
    lowerCaseTable[code] = units[code] === code ? lower.charCodeAt(code) : code;
  for (const code of COMPLEX_LOWER_CASE) lowerCaseTable[code] = FOLD_STOP;
  return lowerCaseTable;
}

function isWordCharAt(text: string, index: number): boolean {
  if (index < 0 || index >= text.length) return false;
  const code = text.charCodeAt(index);
  if (code < 128) {
    return (
      (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95
    );
  }
  return WORD_CHAR.test(text[index] as string);
}

/**
 * Compiles a policy regex. vLLM Semantic Router policies are written for Go's RE2, whose `\b`, `\w` and `\d` are
 * ASCII-only like JavaScript's non-Unicode mode; that mode is also several times faster for case-insensitive `\b`.
 * Unicode mode is used only when the pattern needs it (`\p{…}`, `\u{…}`). RE2 spellings JavaScript lacks are
 * translated: a leading flag group (`(?i)`, `(?m)`, `(?s)` and their combinations) and named groups `(?P<name>…)`. Throws SyntaxError with the term id as `cause`.
 */
export function compilePolicyRegex(source: string, caseSensitive: boolean, termId = 0): RegExp {
  let pattern = source.replace(/\(\?P</g, '(?<');
  let insensitive = !caseSensitive;
  let multiline = false;
  let dotAll = false;
  // RE2's leading flag group, e.g. `(?i)` or `(?ms)`: i, m and s have JavaScript flags of the same meaning.
  const leading = /^\(\?([ims]+)\)/.exec(pattern);
  if (leading) {
    const inline = leading[1] as string;
    pattern = pattern.slice(leading[0].length);
    insensitive ||= inline.includes('i');
    multiline = inline.includes('m');
    dotAll = inline.includes('s');
  }
  const unicode = /\\[pP]\{|\\u\{/.test(pattern);
  const flags = `g${insensitive ? 'i' : ''}${multiline ? 'm' : ''}${dotAll ? 's' : ''}${unicode ? 'u' : ''}`;
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    throw new SyntaxError((error as Error).message, { cause: termId });
  }
}

interface LiteralEntry {
  readonly termIds: number[];
  /** Require a non-word character (or the text's edge) before / after the hit. */
  readonly boundaryStart: boolean;
  readonly boundaryEnd: boolean;
}

/** Compiled once per policy; `countAll` / `findPresent` run once per request text. */
export class TextMatcher {
  private readonly insensitive: AhoCorasick | undefined;
  private readonly insensitiveEntries: LiteralEntry[] = [];
  private readonly sensitive: AhoCorasick | undefined;
  private readonly sensitiveEntries: LiteralEntry[] = [];
  private readonly regexes: { readonly termId: number; readonly pattern: RegExp }[] = [];
  readonly termCount: number;

  /** Throws SyntaxError (with the term index in `cause`) when a regex term does not compile. */
  constructor(terms: readonly MatcherTerm[]) {
    this.termCount = terms.length;
    const insensitivePatterns = new Map<string, number>();
    const sensitivePatterns = new Map<string, number>();
    terms.forEach((term, termId) => {
      if (term.regex) {
        this.regexes.push({ termId, pattern: compilePolicyRegex(term.text, term.caseSensitive, termId) });
        return;
      }
      if (term.text.length === 0) return;
      const [patterns, entries] = term.caseSensitive
        ? [sensitivePatterns, this.sensitiveEntries]
        : [insensitivePatterns, this.insensitiveEntries];
      const key = term.caseSensitive ? term.text : term.text.toLowerCase();
      let patternId = patterns.get(key);
      if (patternId === undefined) {
        patternId = entries.length;
        patterns.set(key, patternId);
        const boundary = needsWordBoundary(key);
        entries.push({
          termIds: [],
          boundaryStart: boundary && isWordCharAt(key, 0),
          boundaryEnd: boundary && isWordCharAt(key, key.length - 1),
        });
      }
      entries[patternId]?.termIds.push(termId);
    });
    // lowerCaseFold() reads ASCII as the automaton's lowerCaseAscii does; a lower-cased text has no A–Z left.
    if (insensitivePatterns.size > 0)
      this.insensitive = new AhoCorasick([...insensitivePatterns.keys()], { lowerCaseAscii: true });
    if (sensitivePatterns.size > 0) this.sensitive = new AhoCorasick([...sensitivePatterns.keys()]);
  }

  /**
   * Occurrences of every term in `text` (index = term id). With `owned`, only occurrences starting in
   * `[owned.from, owned.to)` count: a chunk of a longer text (read with some context before and after) counts
   * what starts in the part it owns, so overlapping chunks add up to the whole text's counts.
   */
  countAll(text: string, owned?: { readonly from: number; readonly to: number }): Uint32Array {
    const counts = new Uint32Array(this.termCount);
    const from = owned?.from ?? 0;
    const to = owned?.to ?? Number.POSITIVE_INFINITY;
    if (this.insensitive !== undefined) {
      // Letters keep being letters (and digits digits) in lower case, so word boundaries read the same in `text`.
      // Literals are counted first: when the folded scan stops, nothing else has been counted yet.
      const folded = countLiterals(
        this.insensitive,
        this.insensitiveEntries,
        text,
        counts,
        lowerCaseFold(),
        from,
        to,
      );
      if (!folded) {
        counts.fill(0);
        countLiterals(
          this.insensitive,
          this.insensitiveEntries,
          text.toLowerCase(),
          counts,
          undefined,
          from,
          to,
        );
      }
    }
    if (this.sensitive !== undefined)
      countLiterals(this.sensitive, this.sensitiveEntries, text, counts, undefined, from, to);
    for (const { termId, pattern } of this.regexes) {
      pattern.lastIndex = 0;
      let n = 0;
      for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
        if (m.index >= to) break;
        if (m.index >= from) n++;
        // An empty match must step past a whole code point: with the `u` flag an index inside a surrogate pair
        // snaps back to its start and the same empty match repeats forever.
        if (m[0].length === 0)
          pattern.lastIndex = m.index + ((text.codePointAt(m.index) ?? 0) > 0xffff ? 2 : 1);
      }
      counts[termId] = n;
    }
    return counts;
  }
}

/**
 * Adds the word-bounded occurrences of each literal in `haystack` (read through `fold`) to its terms' counts;
 * false when the fold stopped the scan (FOLD_STOP) and the counts are partial.
 */
function countLiterals(
  automaton: AhoCorasick,
  entries: readonly LiteralEntry[],
  haystack: string,
  counts: Uint32Array,
  fold: Uint16Array | undefined,
  from = 0,
  to = Number.POSITIVE_INFINITY,
): boolean {
  return automaton.scanEnds(
    haystack,
    (patternId, start, end) => {
      if (start < from || start >= to) return undefined;
      const entry = entries[patternId] as LiteralEntry;
      if (entry.boundaryStart && isWordCharAt(haystack, start - 1)) return undefined;
      if (entry.boundaryEnd && isWordCharAt(haystack, end)) return undefined;
      for (const id of entry.termIds) counts[id] = (counts[id] as number) + 1;
      return undefined;
    },
    fold,
  );
}

/** One scan's occurrence counts, read rule by rule. */
export interface RuleTermCounts {
  /** Calls `visit` with the count of each of the rule's terms, in the rule's order. */
  forEachTermCount(ruleIndex: number, visit: (count: number, term: number) => void): void;
}

/** Terms of many rules compiled into one matcher; `forEachTermCount(rule)` reads one rule's part of a scan. */
export class RuleTermMatcher {
  private readonly ranges: readonly { readonly start: number; readonly end: number }[];
  private readonly matcher: TextMatcher;

  /**
   * @param termsOf the terms of one rule, in the order problems should be reported.
   * @param problemFor where a term that fails to compile sits inside its rule, and how to fix it.
   */
  constructor(
    ruleTerms: readonly (readonly MatcherTerm[])[],
    problemFor: (termIndex: number) => { readonly path: string; readonly hint?: string },
  ) {
    const terms: MatcherTerm[] = [];
    this.ranges = ruleTerms.map((list) => {
      const start = terms.length;
      terms.push(...list);
      return { start, end: terms.length };
    });
    try {
      this.matcher = new TextMatcher(terms);
    } catch (error) {
      const termId = (error as SyntaxError).cause as number;
      const ruleIndex = this.ranges.findIndex((r) => termId >= r.start && termId < r.end);
      const { path, hint } = problemFor(termId - (this.ranges[ruleIndex]?.start ?? 0));
      throw new RuleConfigError([
        {
          ruleIndex,
          path,
          message: `invalid regular expression: ${(error as Error).message}`,
          ...(hint !== undefined && { hint }),
        },
      ]);
    }
  }

  /**
   * One pass over `text`; the result gives per-rule occurrence counts of each term (with `owned`, of the
   * occurrences starting in that range, see TextMatcher.countAll).
   */
  scan(text: string, owned?: { readonly from: number; readonly to: number }): RuleTermCounts {
    const counts = this.matcher.countAll(text, owned);
    const ranges = this.ranges;
    return {
      // Indexes into the one count array: a small typed array's `subarray` would first move its elements to a
      // buffer of their own (an allocation V8's GC then sweeps), once per scan.
      forEachTermCount(ruleIndex, visit) {
        const range = ranges[ruleIndex];
        if (range === undefined) return;
        for (let id = range.start; id < range.end; id++) visit(counts[id] as number, id - range.start);
      },
    };
  }
}
