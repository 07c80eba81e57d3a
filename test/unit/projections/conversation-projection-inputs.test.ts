// Projection scores read the conversation families (reask, user_feedback, fact_check) like any other: a repeated
// question raises a score by its similarity, a correction by its weight, and the policy loads without warnings.
import { afterAll, describe, expect, it } from 'vitest';
import { explainRequest } from '../../../src/cli/explain.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';

const POLICY = `
version: v1
default_model: cheap
pools: [{ name: p, max_context_tokens: 32768 }]
models:
  - { name: cheap, pools: [p] }
  - { name: strong, pools: [p] }
routing:
  signals:
    reasks:
      - { name: likely_dissatisfied, threshold: 0.8, lookback_turns: 1 }
    user_feedbacks:
      - { name: wrong_answer }
    fact_check:
      - { name: needs_fact_check }
  projections:
    scores:
      - name: recovery_pressure
        method: weighted_sum
        inputs:
          - { type: reask, name: likely_dissatisfied, weight: 0.5, value_source: confidence }
          - { type: user_feedback, name: wrong_answer, weight: 0.4 }
          - { type: fact_check, name: needs_fact_check, weight: 0.2 }
    mappings:
      - name: recovery_band
        source: recovery_pressure
        method: threshold_bands
        outputs:
          - { name: recover, gte: 0.4 }
  decisions:
    - name: recovery
      priority: 100
      rules: { type: projection, name: recover }
      modelRefs: [{ model: strong }]
`;

const opened: Policy[] = [];
afterAll(() => {
  for (const policy of opened) policy.close();
});

async function policy(): Promise<Policy> {
  const compiled = await compilePolicyText(POLICY, 'conversation.yaml');
  opened.push(compiled);
  return compiled;
}

async function route(...userTurns: string[]) {
  const messages = userTurns.flatMap((content, i) =>
    i < userTurns.length - 1
      ? [
          { role: 'user', content },
          { role: 'assistant', content: 'An answer.' },
        ]
      : [{ role: 'user', content }],
  );
  const body = Buffer.from(JSON.stringify({ model: 'auto', messages }), 'utf8');
  return explainRequest(await policy(), 'conversation.yaml', body, new Map());
}

describe('projection inputs of the conversation families', () => {
  it('load without warnings about families the router lacks', async () => {
    const compiled = await policy();
    expect(compiled.warnings.map((w) => w.message)).toEqual([]);
  });

  it('a repeated question pushes the score over the band', async () => {
    const explanation = await route(
      'How do I undo the last git commit?',
      'how do I undo the last git commit',
    );
    expect(explanation.winner?.name).toBe('recovery');
    expect(explanation.model?.name).toBe('strong');
  });

  it('a correction pushes the score over the band', async () => {
    expect((await route('Plan a trip to Lisbon.', 'That is wrong, the museum is closed.')).winner?.name).toBe(
      'recovery',
    );
  });

  it('a new question leaves it below: the default model', async () => {
    const explanation = await route('How do I undo the last git commit?', 'Write a haiku about rain.');
    expect(explanation.winner).toBeNull();
    expect(explanation.model?.name).toBe('cheap');
  });
});
