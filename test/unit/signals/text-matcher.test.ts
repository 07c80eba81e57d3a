// The one-pass matchers under keywords and structure: Aho-Corasick finds every occurrence of every pattern, and
// TextMatcher adds case folding, word boundaries and regex terms; both are checked against naive searches.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/seeded-random.ts';
import { AhoCorasick } from '../../../src/signals/aho-corasick.ts';
import { type MatcherTerm, TextMatcher } from '../../../src/signals/text-matcher.ts';
import { dataTexts, randomTexts } from '../../helpers/equivalence-texts.ts';

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

describe('AhoCorasick.scanEnds', () => {
  it('reports what scan does, without hit objects, on text with surrogates and Han characters', () => {
    const word = randomWords(11);
    for (let trial = 0; trial < 300; trial++) {
      const patterns = [
        ...new Set(Array.from({ length: 1 + (trial % 5) }, () => word('ab函\uD83D\uDE00', 3, 1))),
      ];
      const text = word('ab函\uD83D\uDE00\uD800', 30);
      const automaton = new AhoCorasick(patterns);
      const ends: string[] = [];
      automaton.scanEnds(text, (patternId, start, end) => {
        ends.push(`${patterns[patternId]}@${start}-${end}`);
        return undefined;
      });
      expect(ends.sort()).toEqual(hits(patterns, text));
    }
  });

  it('reads non-ASCII text through a fold table, ASCII through lowerCaseAscii', () => {
    // Ä → ä, and the Kelvin sign → k (a non-ASCII unit folded to ASCII).
    const fold = new Uint16Array(0x10000).map((_, code) =>
      code === 0xc4 ? 0xe4 : code === 0x212a ? 0x6b : code,
    );
    const found: number[] = [];
    new AhoCorasick(['äb', 'ok'], { lowerCaseAscii: true }).scanEnds(
      'ÄB äb Äb O\u212a ok',
      (_id, start) => void found.push(start),
      fold,
    );
    expect(found).toEqual([0, 3, 6, 9, 12]);
    const sensitive: number[] = [];
    new AhoCorasick(['ab']).scanEnds('AB ab Ab', (_id, start) => void sensitive.push(start), fold);
    expect(sensitive).toEqual([3]);
  });

  it('lowerCaseAscii finds what scanning the lower-cased text finds, on random texts', () => {
    const word = randomWords(12);
    for (let trial = 0; trial < 300; trial++) {
      const patterns = [...new Set(Array.from({ length: 1 + (trial % 5) }, () => word('abAB', 3, 1)))];
      const text = word('abABé', 40);
      const found: string[] = [];
      new AhoCorasick(patterns, { lowerCaseAscii: true }).scanEnds(text, (patternId, start, end) => {
        found.push(`${patterns[patternId]?.toLowerCase()}@${start}-${end}`);
        return undefined;
      });
      const lower = [...new Set(patterns.map((p) => p.toLowerCase()))];
      expect([...new Set(found)].sort()).toEqual(naiveHits(lower, text.toLowerCase()));
    }
  });
});

describe('TextMatcher case folding', () => {
  const isWord = (unit: string | undefined) => unit !== undefined && /[\p{L}\p{N}_]/u.test(unit);

  /** Reference: occurrences in `text.toLowerCase()` (case-insensitive terms), word-bounded per code unit. */
  function referenceCount(term: MatcherTerm, text: string): number {
    const key = term.caseSensitive ? term.text : term.text.toLowerCase();
    const haystack = term.caseSensitive ? text : text.toLowerCase();
    const bounded = /[\p{L}\p{N}_]/u.test(key) && !/\p{Script=Han}/u.test(key);
    let n = 0;
    for (let i = haystack.indexOf(key); i >= 0 && key.length > 0; i = haystack.indexOf(key, i + 1)) {
      if (bounded && isWord(key[0]) && isWord(haystack[i - 1])) continue;
      if (bounded && isWord(key.at(-1)) && isWord(haystack[i + key.length])) continue;
      n++;
    }
    return n;
  }

  it.each([
    ['final sigma', 'ΟΔΟΣ οδοσ', 'οδος', 1],
    ['dotted capital I (two code units in lower case)', 'İstanbul istanbul', 'i̇stanbul', 1],
    ['Kelvin sign', '\u212Aelvin kelvin', 'kelvin', 2],
    ['Latin-1 capitals', 'ÉCOLE école', 'école', 2],
    ['Deseret (astral, with case)', '\u{10400} \u{10428}', '\u{10428}', 2],
    ['lone surrogates around a word', '\uD800URGENT\uDC00 \uD83D\uDE00Urgent\uD83D\uDE00', 'urgent', 2],
    ['Han text, no word boundaries', '请翻译这个函数FUNCTION函数', '函数', 2],
    ['hits before a character that stops the folded scan', 'kelvin KELVIN \u0130 Kelvin', 'kelvin', 3],
    ['U+FFFF (the stop marker) next to a word', 'urgent\uFFFF URGENT \uFFFFurgent', 'urgent', 3],
  ])('folds %s like toLowerCase', (_label, text, keyword, expected) => {
    const term = { text: keyword, caseSensitive: false, regex: false };
    expect([...new TextMatcher([term]).countAll(text)]).toEqual([expected]);
    expect(referenceCount(term, text)).toBe(expected);
  });

  it('agrees with toLowerCase on 500 random texts mixing scripts, surrogates and special casings', () => {
    const word = randomWords(13);
    const alphabet = 'aAσΣςİiKkÉé函 \uD800\uDC00-';
    for (let trial = 0; trial < 500; trial++) {
      const terms: MatcherTerm[] = Array.from({ length: 1 + (trial % 4) }, (_, i) => ({
        text: word(alphabet, 3, 1),
        caseSensitive: i === 3,
        regex: false,
      }));
      const text = word(alphabet, 40) + (trial % 3 === 0 ? '\u{10400}\u{10428}' : '');
      const counts = new TextMatcher(terms).countAll(text);
      expect([...counts], `${JSON.stringify(terms)} in ${JSON.stringify(text)}`).toEqual(
        terms.map((term) => referenceCount(term, text)),
      );
    }
  });

  it('agrees with toLowerCase on the data sets, for keywords in mixed case of both kinds', () => {
    const terms: MatcherTerm[] = [
      ...[
        'The',
        'of',
        'Proof',
        'patient record',
        'SQL query',
        'c++',
        'def ',
        'ß',
        'é',
        'σ',
        'и',
        'の',
        '的',
      ].map((text) => ({ text, caseSensitive: false, regex: false })),
      ...['The', 'DNA', 'é'].map((text) => ({ text, caseSensitive: true, regex: false })),
    ];
    const matcher = new TextMatcher(terms);
    for (const text of [...dataTexts(), ...randomTexts(500, 21)]) {
      expect([...matcher.countAll(text)], JSON.stringify(text)).toEqual(
        terms.map((term) => referenceCount(term, text)),
      );
    }
  });

  it('folds every astral character with a lower case (the scripts listed as needing toLowerCase)', () => {
    const cased: string[] = [];
    for (let code = 0x10000; code <= 0x10ffff; code++) {
      const char = String.fromCodePoint(code);
      if (char.toLowerCase() !== char) cased.push(char);
    }
    expect(cased.length).toBeGreaterThan(100);
    const terms = cased.map((char) => ({ text: char.toLowerCase(), caseSensitive: false, regex: false }));
    const matcher = new TextMatcher(terms);
    // One character per text: a text holding any listed script would be lower-cased whole.
    const missed = cased.filter((char, i) => matcher.countAll(`x ${char} y`)[i] !== 1);
    expect(missed.map((char) => char.codePointAt(0)?.toString(16))).toEqual([]);
  });
});
