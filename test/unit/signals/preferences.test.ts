// `preferences` family: the rule whose examples are closest to the last user message wins, if it reaches its
// threshold (vLLM Semantic Router's contrastive preference routing, on the peer's threshold scale).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { preferencesFamily } from '../../../src/signals/preferences.ts';
import type { SignalEvaluator } from '../../../src/signals/signal-family.ts';
import { peerSignalRules, signalRulesPolicy } from '../../helpers/peer-fragment.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { evaluateFamily, familyScorer } from '../../helpers/signal-family.ts';
import { writeTinyEmbedding } from '../training/embedding/tiny-embedding.ts';

const RULES = [
  {
    name: 'terse',
    examples: ['keep it concise', 'bullet points only', 'answer in one paragraph'],
    threshold: 0.7,
  },
  {
    name: 'detailed',
    examples: ['explain in depth with examples', 'give me a thorough walkthrough'],
    threshold: 0.7,
  },
];

function matches(prompt: string, rules: readonly unknown[] = RULES) {
  return evaluateFamily(preferencesFamily, rules, contextFor(prompt));
}

describe('preferences', () => {
  it('matches the rule whose examples the request resembles', () => {
    expect(matches('please keep it concise, bullet points').map((m) => m.name)).toEqual(['terse']);
    expect(matches('explain this in depth with examples').map((m) => m.name)).toEqual(['detailed']);
  });

  it('matches at most one rule: the best one', () => {
    const loose = RULES.map((r) => ({ ...r, threshold: 0.01 }));
    expect(matches('concise bullet points, but explain in depth', loose)).toHaveLength(1);
  });

  it('matches nothing below the threshold, and nothing for an unrelated or empty request', () => {
    expect(matches('what is the boiling point of nitrogen?')).toEqual([]);
    expect(matches('')).toEqual([]);
  });

  it('a rule without threshold matches whenever it is the most similar', () => {
    const [match] = matches('one paragraph', [{ name: 'terse', examples: ['answer in one paragraph'] }]);
    expect(match?.name).toBe('terse');
    expect(match?.confidence).toBeGreaterThan(0);
    expect(match?.confidence).toBeLessThanOrEqual(1);
  });

  it('compares with the description when a rule has no examples, and rejects a rule with neither', () => {
    const rules = [{ name: 'legal', description: 'contract law and lease agreements' }];
    expect(matches('question about my lease agreement', rules).map((m) => m.name)).toEqual(['legal']);
    expect(preferencesFamily.ruleSchema.safeParse({ name: 'x' }).success).toBe(false);
  });
});

it("the peer's preference fragment loads and routes a terse request", async () => {
  const rules = peerSignalRules('signal/preference/power-user.yaml', 'preferences');
  const policy = await compilePolicyText(
    signalRulesPolicy('preferences', rules, [
      { name: 'short', rules: { type: 'preference', name: 'terse_answers' }, modelRefs: [{ model: 'm' }] },
    ]),
    'power-user.yaml',
  );
  try {
    const terse = await policy.signals.evaluate(contextFor('bullet points only please'));
    expect(terse.matches.has('preference:terse_answers')).toBe(true);
    const other = await policy.signals.evaluate(contextFor('how tall is mount everest'));
    expect(other.matches.has('preference:terse_answers')).toBe(false);
  } finally {
    policy.close();
  }
});

describe('preferences with an embedding model (extension)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'preferences-model-'));
  writeTinyEmbedding(dir, 'topics');
  const opened: SignalEvaluator[] = [];
  afterAll(() => {
    for (const evaluator of opened) evaluator.close?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a rule naming a model scores by the model's cosine: same topic without shared words", async () => {
    const score = await familyScorer(
      preferencesFamily,
      [
        { name: 'medical', examples: ['doctor fever medicine'], threshold: 0.7, model: 'topics' },
        { name: 'code', examples: ['python compiler'], threshold: 0.7 },
      ],
      { policyDir: dir },
      opened,
    );
    expect(Object.keys(await score('my patient has symptoms, which vaccine'))).toEqual(['medical']);
    expect(await score('')).toEqual({});
  });

  it('a missing model is a rule error at that rule', async () => {
    const rules = [
      { name: 'a', examples: ['x'] },
      { name: 'b', examples: ['y'], model: 'no-such-model' },
    ].map((r) => preferencesFamily.ruleSchema.parse(r));
    await expect(Promise.resolve(preferencesFamily.create(rules, { policyDir: dir }))).rejects.toMatchObject({
      problems: [expect.objectContaining({ ruleIndex: 1, path: 'model' })],
    });
  });
});
