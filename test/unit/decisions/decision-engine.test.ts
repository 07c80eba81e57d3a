// selectDecision: every decision evaluated; winner by tier, then priority, then confidence, then name
// (confidence before priority under `strategy: confidence`).
import { describe, expect, it } from 'vitest';
import {
  compareDecisions,
  type DecisionEvaluation,
  type DecisionRule,
  selectDecision,
} from '../../../src/decisions/decision-engine.ts';
import { type RuleNode, type SignalMatches, signalKey } from '../../../src/decisions/rule-tree.ts';

const leaf = (conditionType: string, name: string): RuleNode => ({
  kind: 'signal',
  conditionType,
  name,
  key: signalKey(conditionType, name),
});
const always: RuleNode = { kind: 'always' };

/** A decision on a single domain signal with the given confidence, or a catch-all. */
function decision(name: string, priority: number, signal?: string, tier = 0): DecisionRule {
  return { name, priority, tier, rule: signal ? leaf('domain', signal) : always };
}

const matches: SignalMatches = new Map(
  (
    [
      ['low', 0.3],
      ['mid', 0.6],
      ['high', 0.9],
      ['mid2', 0.6],
    ] as const
  ).map(([name, confidence]) => [signalKey('domain', name), { name, confidence }]),
);

const winner = (decisions: DecisionRule[], strategy: 'priority' | 'confidence') =>
  selectDecision(decisions, matches, strategy).winner?.name;

describe('selectDecision', () => {
  it.each([
    [
      'higher priority wins over higher confidence',
      [decision('a', 10, 'high'), decision('b', 20, 'low')],
      'b',
    ],
    ['equal priority: higher confidence wins', [decision('a', 10, 'mid'), decision('b', 10, 'high')], 'b'],
    [
      'equal priority and confidence: name decides (a before b)',
      [decision('b', 10, 'mid'), decision('a', 10, 'mid2')],
      'a',
    ],
    [
      'name tie-break ignores policy order',
      [decision('zeta', 5, 'mid'), decision('alpha', 5, 'mid2')],
      'alpha',
    ],
    ['unmatched decisions never win', [decision('a', 100, 'absent'), decision('b', 1, 'low')], 'b'],
    [
      // vLLM Semantic Router ranks a catch-all after every real match of its tier, whatever its priority.
      'a catch-all with higher priority still loses to a real match',
      [decision('specific', 10, 'high'), decision('default', 50)],
      'specific',
    ],
    [
      'a catch-all in a lower tier wins over a real match in a higher one',
      [decision('specific', 10, 'high', 2), decision('default', 0, undefined, 1)],
      'default',
    ],
    [
      'a catch-all with lower priority loses',
      [decision('specific', 10, 'low'), decision('default', 0)],
      'specific',
    ],
    [
      'lower tier wins over higher priority',
      [decision('a', 100, 'high', 2), decision('b', 1, 'low', 1)],
      'b',
    ],
    [
      'tier 0 (untiered) ranks first',
      [decision('tiered', 100, 'high', 1), decision('untiered', 1, 'low', 0)],
      'untiered',
    ],
    [
      'within a tier, priority decides',
      [decision('a', 1, 'high', 1), decision('b', 2, 'low', 1), decision('c', 9, 'high', 2)],
      'b',
    ],
  ])('priority strategy: %s', (_label, decisions, expected) => {
    expect(winner(decisions, 'priority')).toBe(expected);
  });

  it.each([
    [
      'higher confidence wins over higher priority',
      [decision('a', 10, 'high'), decision('b', 20, 'low')],
      'a',
    ],
    ['equal confidence: higher priority wins', [decision('a', 10, 'mid'), decision('b', 20, 'mid2')], 'b'],
    [
      'equal confidence and priority: name decides',
      [decision('b', 10, 'mid'), decision('a', 10, 'mid2')],
      'a',
    ],
    [
      'a catch-all (confidence 0) loses to any match',
      [decision('specific', 1, 'low'), decision('default', 1000)],
      'specific',
    ],
    [
      'the catch-all wins when nothing else matches',
      [decision('specific', 1, 'absent'), decision('default', 0)],
      'default',
    ],
    [
      'lower tier still wins over higher confidence',
      [decision('a', 10, 'high', 2), decision('b', 10, 'low', 1)],
      'b',
    ],
  ])('confidence strategy: %s', (_label, decisions, expected) => {
    expect(winner(decisions, 'confidence')).toBe(expected);
  });

  it('lists every decision in policy order, matched or not', () => {
    const decisions = [decision('code', 10, 'high'), decision('math', 20, 'absent'), decision('default', 0)];
    const result = selectDecision(decisions, matches, 'priority');
    expect(result.evaluations).toEqual([
      { name: 'code', priority: 10, tier: 0, enforced: false, matched: true, confidence: 0.9 },
      { name: 'math', priority: 20, tier: 0, enforced: false, matched: false, confidence: 0 },
      {
        name: 'default',
        priority: 0,
        tier: 0,
        enforced: false,
        catchAll: true,
        matched: true,
        confidence: 0,
      },
    ]);
    expect(result.winner).toBe(decisions[0]);
    expect(result.winnerEvaluation).toBe(result.evaluations[0]);
  });

  it('returns no winner when nothing matches, but still lists the evaluations', () => {
    const result = selectDecision(
      [decision('a', 1, 'absent'), decision('b', 2, 'none')],
      matches,
      'priority',
    );
    expect(result.winner).toBeUndefined();
    expect(result.winnerEvaluation).toBeUndefined();
    expect(result.evaluations.map((e) => [e.name, e.matched])).toEqual([
      ['a', false],
      ['b', false],
    ]);
  });

  it('returns no winner for a policy without decisions', () => {
    expect(selectDecision([], matches, 'confidence')).toEqual({
      winner: undefined,
      winnerEvaluation: undefined,
      evaluations: [],
      onErrorApplied: [],
    });
  });

  it.each(['priority', 'confidence'] as const)(
    'ranks an enforced decision above every other, whatever their tier, priority and confidence (%s)',
    (strategy) => {
      const guard: DecisionRule = { ...decision('guard', 1, 'low', 9), enforced: true };
      const decisions = [decision('top', 1000, 'high'), guard, decision('tiered', 500, 'high', 1)];
      expect(winner(decisions, strategy)).toBe('guard');
      expect(
        winner([decision('top', 1000, 'high'), { ...guard, rule: leaf('domain', 'absent') }], strategy),
      ).toBe('top');
    },
  );

  it('applies on_error to the leaves of failed signals and reports each', () => {
    const failed = new Map([
      [signalKey('pii', 'personal'), 'match' as const],
      [signalKey('jailbreak', 'attack'), 'skip' as const],
    ]);
    const decisions: DecisionRule[] = [
      { name: 'private', priority: 10, tier: 0, rule: leaf('pii', 'personal') },
      { name: 'block', priority: 20, tier: 0, rule: leaf('jailbreak', 'attack') },
      {
        name: 'strict',
        priority: 5,
        tier: 0,
        rule: {
          kind: 'signal',
          conditionType: 'pii',
          name: 'personal',
          key: 'pii:personal',
          onError: 'skip',
        },
      },
    ];
    const result = selectDecision(decisions, { matches, failed }, 'priority');
    expect(result.winner?.name).toBe('private');
    expect(result.winnerEvaluation?.confidence).toBe(1);
    expect(result.evaluations.map((e) => [e.name, e.matched])).toEqual([
      ['private', true],
      ['block', false],
      ['strict', false],
    ]);
    expect(result.onErrorApplied).toEqual([
      { key: 'pii:personal', action: 'match' },
      { key: 'jailbreak:attack', action: 'skip' },
      { key: 'pii:personal', action: 'skip' },
    ]);
  });

  it('throws SignalFailedError (503) when a failed leaf says on_error: fail', () => {
    const failed = new Map([[signalKey('pii', 'personal'), 'fail' as const]]);
    expect(() =>
      selectDecision(
        [{ name: 'private', priority: 10, tier: 0, rule: leaf('pii', 'personal') }],
        { matches, failed },
        'priority',
      ),
    ).toThrow(expect.objectContaining({ code: 'signal_failed', httpStatus: 503 }));
  });

  it('gives the same winner whatever the policy order', () => {
    const decisions = [
      decision('c', 5, 'mid'),
      decision('a', 5, 'mid2'),
      decision('b', 5, 'low'),
      decision('d', 5, 'high', 3),
    ];
    for (const strategy of ['priority', 'confidence'] as const) {
      const forward = winner(decisions, strategy);
      expect(winner([...decisions].reverse(), strategy)).toBe(forward);
      expect(forward).toBe('a');
    }
  });
});

describe('compareDecisions', () => {
  const evaluation = (name: string, priority: number, confidence: number, tier = 0): DecisionEvaluation => ({
    name,
    priority,
    tier,
    enforced: false,
    matched: true,
    confidence,
  });
  const pool = [
    evaluation('e', 5, 0.5),
    evaluation('d', 5, 0.9),
    evaluation('c', 9, 0.1),
    evaluation('b', 5, 0.5),
    evaluation('a', 1, 1, 1),
  ];

  it('sorts best first under priority', () => {
    expect([...pool].sort(compareDecisions('priority')).map((e) => e.name)).toEqual([
      'c',
      'd',
      'b',
      'e',
      'a',
    ]);
  });

  it('sorts best first under confidence', () => {
    expect([...pool].sort(compareDecisions('confidence')).map((e) => e.name)).toEqual([
      'd',
      'b',
      'e',
      'c',
      'a',
    ]);
  });
});
