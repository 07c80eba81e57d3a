// Rule trees with vLLM Semantic Router v0.3 confidence semantics: AND = mean, OR = max, NOT = 1, empty rules = 0.
import { describe, expect, it } from 'vitest';
import {
  collectSignalLeaves,
  evaluateRule,
  type RuleNode,
  type SignalMatches,
  signalKey,
} from '../../../src/decisions/rule-tree.ts';

const leaf = (conditionType: string, name: string): RuleNode => ({
  kind: 'signal',
  conditionType,
  name,
  key: signalKey(conditionType, name),
});
const and = (...children: RuleNode[]): RuleNode => ({ kind: 'and', children });
const or = (...children: RuleNode[]): RuleNode => ({ kind: 'or', children });
const not = (child: RuleNode): RuleNode => ({ kind: 'not', child });
const always: RuleNode = { kind: 'always' };

const matches: SignalMatches = new Map(
  (
    [
      ['keyword', 'code', 1],
      ['domain', 'math', 0.6],
      ['domain', 'physics', 0.9],
      ['language', 'en', 0.5],
      ['embedding', 'zero', 0],
    ] as const
  ).map(([type, name, confidence]) => [signalKey(type, name), { name, confidence }]),
);

const code = leaf('keyword', 'code');
const math = leaf('domain', 'math');
const physics = leaf('domain', 'physics');
const en = leaf('language', 'en');
const zero = leaf('embedding', 'zero');
const missing = leaf('domain', 'law');

describe('signalKey', () => {
  it('joins condition type and rule name with a colon', () => {
    expect(signalKey('keyword', 'code')).toBe('keyword:code');
  });
});

describe('evaluateRule', () => {
  it.each([
    ['matched leaf carries its confidence', math, true, 0.6],
    ['unmatched leaf', missing, false, 0],
    ['leaf of another type with the same name does not match', leaf('keyword', 'math'), false, 0],
    ['matched leaf with confidence 0 still matches', zero, true, 0],
    ['AND: mean of the children', and(math, physics), true, 0.75],
    ['AND: mean of three', and(code, math, en), true, 0.7],
    ['AND: one child unmatched', and(math, missing), false, 0],
    ['AND: single child', and(physics), true, 0.9],
    ['OR: max of the matched children', or(math, physics, en), true, 0.9],
    ['OR: unmatched children are ignored', or(missing, math), true, 0.6],
    ['OR: nothing matched', or(missing, leaf('pii', 'ssn')), false, 0],
    ['OR: a matched child with confidence 0 matches', or(missing, zero), true, 0],
    ['NOT of an unmatched child: 1.0', not(missing), true, 1],
    ['NOT of a matched child', not(math), false, 0],
    ['NOT of a zero-confidence match is still a match', not(zero), false, 0],
    ['empty rules (catch-all): confidence 0', always, true, 0],
    [
      'nested: AND(OR(math, physics), NOT(law)) = mean(0.9, 1)',
      and(or(math, physics), not(missing)),
      true,
      0.95,
    ],
    ['nested: OR(AND(math, law), en) = 0.5', or(and(math, missing), en), true, 0.5],
    ['nested: NOT(OR(math, law))', not(or(math, missing)), false, 0],
    ['nested: NOT(AND(math, law))', not(and(math, missing)), true, 1],
    ['nested: AND(code, NOT(NOT(physics))) = mean(1, 1)', and(code, not(not(physics))), true, 1],
    ['nested: AND(always, code) = mean(0, 1)', and(always, code), true, 0.5],
  ])('%s', (_label, node, matched, confidence) => {
    const outcome = evaluateRule(node, matches);
    expect(outcome.matched).toBe(matched);
    expect(outcome.confidence).toBeCloseTo(confidence, 10);
  });

  it('matches nothing against an empty match set, except NOT and catch-all', () => {
    const none: SignalMatches = new Map();
    expect(evaluateRule(or(code, math), none)).toEqual({ matched: false, confidence: 0 });
    expect(evaluateRule(not(code), none)).toEqual({ matched: true, confidence: 1 });
    expect(evaluateRule(always, none)).toEqual({ matched: true, confidence: 0 });
  });
});

describe('collectSignalLeaves', () => {
  it('lists every leaf in order, including those under NOT', () => {
    const tree = and(or(math, physics), not(code), en);
    expect(collectSignalLeaves(tree).map((l) => l.key)).toEqual([
      'domain:math',
      'domain:physics',
      'keyword:code',
      'language:en',
    ]);
  });

  it('a catch-all has no leaves', () => {
    expect(collectSignalLeaves(always)).toEqual([]);
  });
});
