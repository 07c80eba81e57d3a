// Regexes written for vLLM Semantic Router (Go RE2) load and behave the same here.
import { describe, expect, it } from 'vitest';
import { estimateTokens } from '../../../src/request/request-context.ts';
import { compilePolicyRegex } from '../../../src/signals/text-matcher.ts';

describe('compilePolicyRegex', () => {
  it.each([
    ['(?i)urgent', true, 'This is URGENT', true],
    ['(?P<id>\\d+)-\\-x', true, 'ticket 42--x', true],
    ['\\bfoo\\b', false, 'a Foo b', true],
    ['\\bfoo\\b', true, 'a Foo b', false],
    // A leading flag group: (?m) anchors ^ at every line, (?s) lets . cross lines, (?i) folds case.
    ['(?m)^\\s*\\d+\\.\\s+', true, 'Steps:\n  1. open', true],
    ['^\\s*\\d+\\.\\s+', true, 'Steps:\n  1. open', false],
    ['(?s)begin.end', true, 'begin\nend', true],
    ['begin.end', true, 'begin\nend', false],
    ['(?mi)^urgent', true, 'note\nURGENT now', true],
  ])('%s (case sensitive %s) on %s', (source, caseSensitive, text, expected) => {
    expect(compilePolicyRegex(source, caseSensitive).test(text)).toBe(expected);
  });

  it('rejects a broken pattern with the term id as cause', () => {
    expect(() => compilePolicyRegex('(unclosed', false, 7)).toThrow(SyntaxError);
    try {
      compilePolicyRegex('(unclosed', false, 7);
    } catch (error) {
      expect((error as Error).cause).toBe(7);
    }
  });
});

describe('estimateTokens', () => {
  it.each([
    ['English prose', 'a'.repeat(400), 100],
    ['Cyrillic', 'я'.repeat(400), 200],
    ['Chinese', '中'.repeat(400), 400],
    ['emoji', '👍'.repeat(100), 100],
    ['empty', '', 0],
  ])('%s', (_name, text, tokens) => {
    expect(estimateTokens(text)).toBe(tokens);
  });
});
