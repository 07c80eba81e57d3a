// Keyword rules with `method: bm25 | ngram | fuzzy` (vLLM Semantic Router's approximate keyword matching): typos,
// word forms and thresholds decide a match as the peer's matchers do, and the peer's keyword fragments load.

import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { boundedLevenshtein, ngramSimilarity, stem } from '../../../src/signals/keyword-methods.ts';
import { keywordsFamily } from '../../../src/signals/keywords.ts';
import { PEER_FRAGMENTS, peerSignalRules, signalRulesPolicy } from '../../helpers/peer-fragment.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { evaluateFamily } from '../../helpers/signal-family.ts';

function matches(rule: Record<string, unknown>, prompt: string): boolean {
  return evaluateFamily(keywordsFamily, [{ name: 'k', ...rule }], contextFor(prompt)).some(
    (m) => m.name === 'k',
  );
}

const CODE = {
  method: 'bm25',
  keywords: ['code', 'function', 'debug', 'algorithm', 'refactor'],
  bm25_threshold: 0.1,
};
const URGENT = {
  method: 'ngram',
  keywords: ['urgent', 'immediate', 'asap', 'emergency'],
  ngram_threshold: 0.4,
};

describe('method: bm25', () => {
  it.each([
    ['a keyword in another word form', 'I am debugging these functions', true],
    ['a keyword among stop words', 'what is the best algorithm for this', true],
    ['no keyword', 'tell me a story about dragons', false],
    ['a keyword only as part of a longer word', 'encode the message', false],
  ])('%s', (_, prompt, expected) => {
    expect(matches(CODE, prompt)).toBe(expected);
  });

  it('AND needs every keyword, NOR none', () => {
    const keywords = ['python', 'error'];
    expect(matches({ method: 'bm25', operator: 'AND', keywords }, 'a python error')).toBe(true);
    expect(matches({ method: 'bm25', operator: 'AND', keywords }, 'python only')).toBe(false);
    expect(matches({ method: 'bm25', operator: 'NOR', keywords }, 'nothing here')).toBe(true);
  });

  it('a threshold above every score matches nothing', () => {
    expect(matches({ ...CODE, bm25_threshold: 50 }, 'debug the code')).toBe(false);
  });

  it('stems plural and -ing / -ed endings', () => {
    expect(['functions', 'debugging', 'refactored', 'queries', 'boxes'].map(stem)).toEqual([
      'function',
      'debug',
      'refactor',
      'query',
      'box',
    ]);
  });
});

describe('method: ngram', () => {
  it.each([
    ['the exact word', 'this is urgent', true],
    ['a typo', 'this is urgnet, please help', true],
    // Warped similarity (all² − (all − same)²) / all²: agent and urgent share 4 of 11 trigrams → 0.60.
    ['a word sharing its ending, at the warped similarity', 'the agent is here', true],
    ['a word sharing no trigram', 'the garden is green', false],
    ['nothing alike', 'describe a sunset over the lake', false],
  ])('%s', (_, prompt, expected) => {
    expect(matches(URGENT, prompt)).toBe(expected);
  });

  it('a stricter threshold rejects the typo', () => {
    expect(matches({ ...URGENT, ngram_threshold: 0.95 }, 'this is urgnet')).toBe(false);
  });

  it('similarity is 1 for the same word and 0 for disjoint ones', () => {
    const grams = (w: string) => new Map([...w].map((c) => [c, 1] as const));
    expect(ngramSimilarity(grams('abc'), grams('abc'))).toBe(1);
    expect(ngramSimilarity(grams('abc'), grams('xyz'))).toBe(0);
  });
});

describe('method: fuzzy', () => {
  const SENSITIVE = { method: 'fuzzy', keywords: ['password', 'credit card'], fuzzy_threshold: 2 };
  it.each([
    ['two edits away', 'my pasword is hunter2', true],
    ['a two-word keyword with a typo', 'here is my credt card', true],
    ['three edits away', 'my pswrd is hunter2', false],
    ['unrelated text', 'hello world', false],
  ])('%s', (_, prompt, expected) => {
    expect(matches(SENSITIVE, prompt)).toBe(expected);
  });

  it("the peer's fuzzy_match: true on a literal rule reads as method: fuzzy", () => {
    expect(matches({ keywords: ['password'], fuzzy_match: true }, 'my pasword')).toBe(true);
    expect(matches({ keywords: ['password'] }, 'my pasword')).toBe(false);
  });

  it('bounded Levenshtein distance', () => {
    expect(boundedLevenshtein('kitten', 'sitting', 5)).toBe(3);
    expect(boundedLevenshtein('kitten', 'sitting', 1)).toBe(2);
  });
});

it('literal and approximate rules side by side each keep their own meaning', () => {
  const found = evaluateFamily(
    keywordsFamily,
    [
      { name: 'literal', keywords: ['urgent'] },
      { name: 'approx', ...URGENT },
    ],
    contextFor('this is urgnet'),
  ).map((m) => m.name);
  expect(found).toEqual(['approx']);
});

it('rejects an unknown method with the list of methods', () => {
  expect(() => keywordsFamily.ruleSchema.parse({ name: 'k', keywords: ['a'], method: 'semantic' })).toThrow(
    /regex, bm25, ngram or fuzzy/,
  );
});

describe("the peer's keyword fragments", () => {
  const files = readdirSync(path.join(PEER_FRAGMENTS, 'signal/keyword')).filter((f) => f.endsWith('.yaml'));

  it.each(files)('%s loads and its rules route', async (file) => {
    const keywords = peerSignalRules(`signal/keyword/${file}`, 'keywords');
    const policy = await compilePolicyText(
      signalRulesPolicy(
        'keywords',
        keywords,
        keywords.map((rule, i) => ({
          name: rule.name,
          priority: i,
          rules: { operator: 'OR', conditions: [{ type: 'keyword', name: rule.name }] },
          modelRefs: [{ model: 'm' }],
        })),
      ),
      file,
    );
    policy.close();
    expect(keywords.length).toBeGreaterThan(0);
  });
});

it('ngram: a multi-word keyword matches a short text as a whole phrase, as in the peer', () => {
  const rule = { method: 'ngram', keywords: ['credit card'], ngram_threshold: 0.8 };
  expect(matches(rule, 'credit card')).toBe(true);
  expect(matches(rule, `credit card ${'and more words '.repeat(20)}`)).toBe(false);
});
