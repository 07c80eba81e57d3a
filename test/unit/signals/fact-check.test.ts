// `fact_check` family: every turn with text is needs_fact_check or no_fact_check_needed (the peer's fragment
// signal/fact-check/needs-verification).
import { describe, expect, it } from 'vitest';
import { factCheckFamily } from '../../../src/signals/fact-check.ts';
import { peerSignalRules } from '../../helpers/peer-fragment.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { evaluateFamily } from '../../helpers/signal-family.ts';

const PEER_RULES = peerSignalRules('signal/fact-check/needs-verification.yaml', 'fact_check');

const labelOf = (text: string, rules: readonly unknown[] = PEER_RULES) =>
  evaluateFamily(factCheckFamily, rules, contextFor(text)).map((m) => m.name);

describe('fact_check with the peer’s rules', () => {
  it.each([
    'Who was the first woman to win a Nobel Prize?',
    'When did the Berlin Wall fall?',
    'how many people live in lagos nigeria?',
    'What is the maximum safe daily dose of ibuprofen for adults?',
    'Is it legal to record a phone call without consent in California?',
  ])('needs a fact check: %s', (text) => {
    expect(labelOf(text)).toEqual(['needs_fact_check']);
  });

  it.each([
    'Write a short poem about autumn leaves.',
    'Imagine you are a pirate and describe your ship.',
    'Write a Python function that reverses a string.',
    'hello, how are you today?',
    'What is your favorite color?',
    'Translate "good night" into Spanish.',
  ])('needs none: %s', (text) => {
    expect(labelOf(text)).toEqual(['no_fact_check_needed']);
  });

  it('an empty turn gets no label', () => {
    expect(labelOf('   ')).toEqual([]);
  });

  it('only the defined label can match: a policy with needs_fact_check alone reports nothing for a poem', () => {
    expect(labelOf('Write a short poem about autumn leaves.', [{ name: 'needs_fact_check' }])).toEqual([]);
  });

  it('reads the latest user turn, not the earlier ones', () => {
    const context = contextFor({
      messages: [
        { role: 'user', content: 'When did the Berlin Wall fall?' },
        { role: 'assistant', content: 'In 1989.' },
        { role: 'user', content: 'Now write a limerick about it.' },
      ],
    });
    expect(evaluateFamily(factCheckFamily, PEER_RULES, context).map((m) => m.name)).toEqual([
      'no_fact_check_needed',
    ]);
  });

  it('a rule named after no label loads with a warning', async () => {
    const evaluator = await factCheckFamily.create([{ name: 'balance_needs_fact_check' }], {
      policyDir: '.',
    });
    expect(evaluator.warnings?.[0]?.message).toContain('never matches');
  });
});
