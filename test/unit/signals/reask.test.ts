// `reasks` family: the latest user turn repeats the previous ones (the peer's fragment signal/reask/dissatisfaction).
import { describe, expect, it } from 'vitest';
import { reaskFamily } from '../../../src/signals/reask.ts';
import type { SignalMatch } from '../../../src/signals/signal-family.ts';
import { turnSimilarity } from '../../../src/signals/turn-similarity.ts';
import { peerSignalRules } from '../../helpers/peer-fragment.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { evaluateFamily } from '../../helpers/signal-family.ts';

const PEER_RULES = peerSignalRules('signal/reask/dissatisfaction.yaml', 'reasks');

/** A conversation of user turns, each answered by the assistant except the last. */
function conversation(...userTurns: string[]) {
  return contextFor({
    messages: userTurns.flatMap((content, i) =>
      i < userTurns.length - 1
        ? [
            { role: 'user', content },
            { role: 'assistant', content: `Answer ${i + 1}.` },
          ]
        : [{ role: 'user', content }],
    ),
  });
}

function names(matches: readonly SignalMatch[]): string[] {
  return matches.map((m) => m.name);
}

const evaluate = (...turns: string[]) => evaluateFamily(reaskFamily, PEER_RULES, conversation(...turns));

describe('reasks with the peer’s dissatisfaction rules', () => {
  it('uses the peer’s two rules', () => {
    expect(PEER_RULES.map((r) => r.name)).toEqual(['likely_dissatisfied', 'persistently_dissatisfied']);
  });

  it('a question asked again matches likely_dissatisfied', () => {
    const matches = evaluate('How do I undo the last git commit?', 'how do i undo the last git commit??');
    expect(names(matches)).toEqual(['likely_dissatisfied']);
    expect(matches[0]?.confidence).toBeGreaterThanOrEqual(0.8);
    expect(matches[0]?.value).toBe(1);
  });

  it('a lightly reworded repeat still matches', () => {
    expect(
      names(evaluate('How do I undo the last git commit?', 'How can I undo my last git commit?')),
    ).toEqual(['likely_dissatisfied']);
  });

  it('a new question on the same topic does not match', () => {
    expect(evaluate('How do I undo the last git commit?', 'How do I rename a git branch?')).toEqual([]);
  });

  it('the first turn of a conversation never matches', () => {
    expect(evaluate('How do I undo the last git commit?')).toEqual([]);
  });

  it('the third ask in a row is persistent, and reports only the rule that looks back furthest', () => {
    const matches = evaluate(
      'Why does my Docker container exit immediately?',
      'why does my docker container exit immediately',
      'Why does my Docker container exit immediately??',
    );
    expect(names(matches)).toEqual(['persistently_dissatisfied']);
    expect(matches[0]?.value).toBe(2);
  });

  it('a repeat of the previous turn only, after a different one, is not persistent', () => {
    expect(
      names(
        evaluate(
          'What is the boiling point of ethanol?',
          'Why does my Docker container exit immediately?',
          'why does my docker container exit immediately',
        ),
      ),
    ).toEqual(['likely_dissatisfied']);
  });
});

describe('reask rule settings', () => {
  it('a stricter threshold rejects a reworded repeat that the default accepts', () => {
    const turns = ['How do I undo the last git commit?', 'How can I undo my last git commit?'];
    const similarity = turnSimilarity(turns[0] as string, turns[1] as string);
    expect(similarity).toBeGreaterThanOrEqual(0.8);
    expect(similarity).toBeLessThan(0.99);
    const strict = [{ name: 'verbatim', threshold: 0.99 }];
    expect(evaluateFamily(reaskFamily, strict, conversation(...turns))).toEqual([]);
    expect(names(evaluateFamily(reaskFamily, [{ name: 'default' }], conversation(...turns)))).toEqual([
      'default',
    ]);
  });

  it('threshold 0 and lookback_turns 0 take the peer’s defaults (0.8, one turn)', () => {
    const rules = [{ name: 'zeroes', threshold: 0, lookback_turns: 0 }];
    expect(
      evaluateFamily(reaskFamily, rules, conversation('Book a table for two', 'What time is it in Tokyo?')),
    ).toEqual([]);
    expect(
      names(
        evaluateFamily(
          reaskFamily,
          rules,
          conversation('What time is it in Tokyo?', 'what time is it in tokyo'),
        ),
      ),
    ).toEqual(['zeroes']);
  });

  it('skips empty earlier turns, as the peer does', () => {
    expect(
      names(evaluate('Translate "good morning" to French', ' ', 'translate "good morning" to french')),
    ).toEqual(['likely_dissatisfied']);
  });
});
