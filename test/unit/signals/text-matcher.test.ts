// The one-pass matchers under keywords and structure: Aho-Corasick finds every occurrence of every pattern, and
// TextMatcher adds case folding, word boundaries and regex terms; both are checked against naive searches.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/selection/model-selector.ts';
import { AhoCorasick } from '../../../src/signals/aho-corasick.ts';
import { type MatcherTerm, TextMatcher } from '../../../src/signals/text-matcher.ts';

function hits(patterns: readonly string[], text: string): string[] {
  const found: string[] = [];
  new AhoCorasick(patterns).scan(text, (hit) => {
    found.push(`${patterns[hit.patternId]}@${hit.start}-${hit.end}`);
    return undefined;
  });
  return found.sort();
}

function naiveHits(patterns: readonly string[], text: string): string[] {
  const found: string[] = [];
  for (const pattern of patterns) {
    for (let i = 0; i + pattern.length <= text.length; i++) {
      if (text.startsWith(pattern, i)) found.push(`${pattern}@${i}-${i + pattern.length}`);
    }
  }
  return found.sort();
}

function randomWords(seed: number) {
  const random = seededRandom(seed);
  return (alphabet: string, maxLength: number, minLength = 0) =>
    Array.from(
      { length: minLength + Math.floor(random() * (maxLength - minLength + 1)) },
      () => alphabet[Math.floor(random() * alphabet.length)],
    ).join('');
}

describe('AhoCorasick', () => {
  it('finds the classic overlapping patterns (he, she, his, hers in "ushers")', () => {
    expect(hits(['he', 'she', 'his', 'hers'], 'ushers')).toEqual(['he@2-4', 'hers@2-6', 'she@1-4']);
  });

  it('finds repeated and self-overlapping occurrences', () => {
    expect(hits(['aa'], 'aaaa')).toEqual(['aa@0-2', 'aa@1-3', 'aa@2-4']);
  });

  it('works on UTF-16 text with Han characters and emoji', () => {
    expect(hits(['函数', '😀'], 'x函数😀函数')).toEqual(['函数@1-3', '函数@5-7', '😀@3-5']);
  });

  it('stops when the callback returns true', () => {
    let calls = 0;
    new AhoCorasick(['a']).scan('aaaa', () => ++calls === 2);
    expect(calls).toBe(2);
  });

  it('agrees with a naive search on 2,000 random pattern sets and texts', () => {
    const word = randomWords(1);
    for (let trial = 0; trial < 2000; trial++) {
      const patterns = [...new Set(Array.from({ length: 1 + (trial % 6) }, () => word('abc', 4, 1)))];
      const text = word('abc', 30);
      expect(hits(patterns, text), `patterns ${patterns} in ${text}`).toEqual(naiveHits(patterns, text));
    }
  });
});

const WORD = '[\\p{L}\\p{N}_]';

/** Reference count: a regex with Unicode word-boundary lookarounds on the ends that are word characters. */
function naiveCount(term: MatcherTerm, text: string): number {
  const escaped = term.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const first = new RegExp(WORD, 'u').test(term.text[0] ?? '');
  const last = new RegExp(WORD, 'u').test(term.text.at(-1) ?? '');
  const source = `${first ? `(?<!${WORD})` : ''}(?=${escaped}${last ? `(?!${WORD})` : ''})`;
  return [...text.matchAll(new RegExp(source, term.caseSensitive ? 'gu' : 'giu'))].length;
}

describe('TextMatcher', () => {
  it('counts every occurrence of each term, word-bounded', () => {
    const matcher = new TextMatcher([
      { text: 'go', caseSensitive: false, regex: false },
      { text: 'Go', caseSensitive: true, regex: false },
      { text: 'c++', caseSensitive: false, regex: false },
      { text: '\\d+', caseSensitive: false, regex: true },
      { text: 'go', caseSensitive: false, regex: false },
    ]);
    expect([...matcher.countAll('Go go GO gopher, C++ c++x 12 345')]).toEqual([3, 1, 2, 2, 3]);
  });

  it('treats empty literal terms as never matching', () => {
    expect([...new TextMatcher([{ text: '', caseSensitive: false, regex: false }]).countAll('abc')]).toEqual([
      0,
    ]);
  });

  it('reports the index of a regex term that does not compile', () => {
    let thrown: unknown;
    try {
      new TextMatcher([
        { text: 'ok', caseSensitive: false, regex: false },
        { text: '(', caseSensitive: false, regex: true },
      ]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SyntaxError);
    expect((thrown as SyntaxError).cause).toBe(1);
  });

  it('agrees with a word-boundary regex on 500 random term sets and texts', () => {
    const word = randomWords(7);
    for (let trial = 0; trial < 500; trial++) {
      const terms: MatcherTerm[] = Array.from({ length: 1 + (trial % 5) }, (_, i) => ({
        text: word('aB-é_', 3, 1),
        caseSensitive: i % 2 === 0,
        regex: false,
      }));
      const text = word('abAB -é_É.', 40);
      const counts = new TextMatcher(terms).countAll(text);
      const expected = terms.map((term) => naiveCount(term, text));
      expect([...counts], `${JSON.stringify(terms)} in ${JSON.stringify(text)}`).toEqual(expected);
    }
  });
});
