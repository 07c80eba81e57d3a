// The peer's balanced recipe (../shared/vsr-config/recipes/balance): it loads as written, its conversation signals
// (user_feedback, reask, fact_check) fire on the turns they describe, and the README rows that rest on them or on
// keywords, domains and the recipe's embedding prototypes (on the lexical model calibrated to the peer's scale)
// route as described, through the explain pipeline. Casual chat is left out: the built-in domain classifier puts
// greetings in a domain ("hey, how's it going?" reads as business), which takes them to the explainer lane.
import { describe, expect, it } from 'vitest';
import { usePeerRecipe } from '../../helpers/peer-recipe.ts';

const recipe = usePeerRecipe('balance', { signalTimeoutMs: 60_000 });

const route = recipe.explainTurns;

function conversationSignals(explanation: Awaited<ReturnType<typeof route>>): string[] {
  const types = new Set(['user_feedback', 'reask', 'fact_check']);
  return explanation.signals
    .flatMap((s) => s.matches)
    .filter((m) => types.has(m.type))
    .map((m) => `${m.type}:${m.name}`)
    .sort();
}

const BERLIN = 'When did the Berlin Wall fall?';
const MIDDLEMARCH = 'Who wrote the novel Middlemarch?';

describe('balance recipe: conversation signals', () => {
  it.each([
    [
      'a correction after an answer',
      [BERLIN, 'That is wrong, it was not 1991.'],
      ['user_feedback:wrong_answer'],
    ],
    [
      'a request to restate after an answer',
      ['How does compound interest work?', 'I don’t understand, can you explain that more simply?'],
      ['user_feedback:need_clarification'],
    ],
    [
      'the same question again',
      [MIDDLEMARCH, 'who wrote the novel middlemarch'],
      ['reask:likely_dissatisfied'],
    ],
    ['a factual question', ['What is the capital of Peru?'], ['fact_check:needs_fact_check']],
    [
      'a creative request (the recipe defines only needs_fact_check)',
      ['Write a short poem about autumn leaves.'],
      [],
    ],
  ])('%s', async (_row, turns, expected) => {
    expect(conversationSignals(await route(...turns))).toEqual(expected);
  });
});

describe('balance recipe: README routing table', () => {
  it.each([
    [
      'explicit correction: reviewed-answer lane',
      [BERLIN, 'That is incorrect, please fix your answer.'],
      'feedback_wrong_answer_verified',
    ],
    [
      'correction with a verification request: reviewed-answer lane',
      [BERLIN, 'That is wrong. Please correct it and cite sources.'],
      'feedback_wrong_answer_verified',
    ],
    [
      'single-turn re-ask: the cheap clarification lane',
      [MIDDLEMARCH, 'who wrote the novel middlemarch'],
      'feedback_need_clarification',
    ],
    [
      'coding work: capable specialist',
      ['Write a Python function that deduplicates a list while keeping order.'],
      'medium_code_general',
    ],
    [
      'legal analysis: premium',
      ['Draft a legal-risk memo for a cross-border data transfer policy.'],
      'premium_legal',
    ],
    ['creative work: balanced local lane', ['Write a short poem about autumn leaves.'], 'medium_creative'],
    [
      'creative story: balanced local lane',
      ['Write a short story about a robot learning to paint.'],
      'medium_creative',
    ],
    [
      'medium explanation with facts to check',
      ['Explain the causes of the French Revolution.'],
      'verified_explainer',
    ],
    [
      'formal proof: high-reasoning candidates',
      ['Prove that there are infinitely many primes.'],
      'formal_math_proof',
    ],
  ])('%s', async (_row, turns, decision) => {
    expect((await route(...turns)).winner?.name).toBe(decision);
  });

  it('a short factual question stays on the local or fast lane', async () => {
    for (const question of ['When did World War II end?', 'What is the capital of Peru?'])
      expect(['qwen/qwen3.5-rocm', 'google/gemini-2.5-flash-lite']).toContain(
        (await route(question)).model?.name,
      );
  });

  it('the same question asked once is not routed to the clarification lane', async () => {
    expect((await route(MIDDLEMARCH)).winner?.name).not.toBe('feedback_need_clarification');
  });
});
