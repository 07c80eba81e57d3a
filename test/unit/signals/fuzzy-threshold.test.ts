// keywords `fuzzy_threshold`: 0-8 is the peer's code's edit count; above 8 (the peer's reference config writes 82)
// a similarity percentage, so the reference rule matches typos of its keywords and not every word.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { allowedEdits } from '../../../src/signals/fuzzy-threshold.ts';
import { keywordsFamily } from '../../../src/signals/keywords.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { evaluateFamily } from '../../helpers/signal-family.ts';

/** The reference config's fuzzy keyword rule, read in place. */
function peerFuzzyRule(): Record<string, unknown> {
  const doc = YAML.parse(readFileSync('../shared/vsr-config/config.yaml', 'utf8')) as {
    routing: { signals: { keywords: { name: string }[] } };
  };
  const rule = doc.routing.signals.keywords.find((r) => r.name === 'fuzzy_sensitive_keywords');
  if (!rule) throw new Error('the reference config has no fuzzy_sensitive_keywords rule');
  return rule;
}

function matches(rule: Record<string, unknown>, prompt: string): boolean {
  return evaluateFamily(keywordsFamily, [rule], contextFor(prompt)).length > 0;
}

describe('fuzzy_threshold', () => {
  it('values up to 8 are edit counts, as in the peer’s code', () => {
    expect(allowedEdits(2, 8, 8)).toBe(2);
    expect(allowedEdits(8, 3, 3)).toBe(8);
  });

  it('values above 8 are a similarity percentage of the longer text', () => {
    expect(allowedEdits(82, 8, 8)).toBe(1);
    expect(allowedEdits(82, 11, 11)).toBe(1);
    expect(allowedEdits(82, 15, 17)).toBe(3);
    expect(allowedEdits(100, 8, 8)).toBe(0);
    expect(allowedEdits(50, 8, 6)).toBe(4);
  });

  it.each([
    ['one typo in password', 'what is my pasword', true],
    ['one typo in a two-word keyword', 'here is my credt card number', true],
    ['the exact keyword', 'reset my API key', true],
    ['three edits from password', 'my pswrd is hunter2', false],
    ['an everyday request', 'what is the weather like in lisbon today', false],
  ])("the reference config's 82 %s → %s", (_, prompt, expected) => {
    expect(matches(peerFuzzyRule(), prompt)).toBe(expected);
  });

  it('rejects a threshold above 100', () => {
    expect(
      keywordsFamily.ruleSchema.safeParse({
        name: 'k',
        keywords: ['x'],
        fuzzy_match: true,
        fuzzy_threshold: 120,
      }).success,
    ).toBe(false);
  });
});
