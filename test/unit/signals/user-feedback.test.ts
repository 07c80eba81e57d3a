// `user_feedbacks` family: what the latest user turn says about the answer before it (the peer's fragment
// signal/user-feedback/escalation plus the labels of its feedback model).
import { describe, expect, it } from 'vitest';
import type { SignalMatch } from '../../../src/signals/signal-family.ts';
import { userFeedbackFamily } from '../../../src/signals/user-feedback.ts';
import { FEEDBACK_LABELS } from '../../../src/signals/user-feedback-phrases.ts';
import { peerSignalRules } from '../../helpers/peer-fragment.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { evaluateFamily } from '../../helpers/signal-family.ts';

const ALL_LABELS = FEEDBACK_LABELS.map((name) => ({ name }));

function afterAnAnswer(followUp: string) {
  return contextFor({
    messages: [
      { role: 'user', content: 'What is the capital of Australia?' },
      { role: 'assistant', content: 'The capital of Australia is Sydney.' },
      { role: 'user', content: followUp },
    ],
  });
}

const labelOf = (followUp: string, rules: readonly unknown[] = ALL_LABELS): string[] =>
  evaluateFamily(userFeedbackFamily, rules, afterAnAnswer(followUp)).map((m: SignalMatch) => m.name);

describe('user_feedbacks with the peer’s escalation rules', () => {
  const peerRules = peerSignalRules('signal/user-feedback/escalation.yaml', 'user_feedbacks');

  it('"that\'s wrong" after an answer matches wrong_answer', () => {
    expect(labelOf("That's wrong, it's Canberra.", peerRules)).toEqual(['wrong_answer']);
  });

  it('a request to explain the answer further matches need_clarification', () => {
    expect(labelOf('I don’t understand, can you explain that in more detail?', peerRules)).toEqual([
      'need_clarification',
    ]);
  });

  it('thanks match no rule of the fragment (it defines no satisfied rule)', () => {
    expect(labelOf('Thanks, that helps!', peerRules)).toEqual([]);
  });
});

describe('feedback labels', () => {
  it.each([
    ['You are mistaken about the capital.', 'wrong_answer'],
    ['The code you gave me does not compile.', 'wrong_answer'],
    ['What do you mean by that?', 'need_clarification'],
    ['Could you give me another option?', 'want_different'],
    ['Try again in a more formal tone.', 'want_different'],
    ['Perfect, thank you!', 'satisfied'],
  ])('%s → %s', (followUp, label) => {
    expect(labelOf(followUp)).toEqual([label]);
  });

  it('negative feedback wins over politeness: "thanks, but that is incorrect" is wrong_answer', () => {
    expect(labelOf('Thanks, but that is incorrect.')).toEqual(['wrong_answer']);
  });

  it('a new question after an answer is no feedback', () => {
    expect(labelOf('How far is Canberra from Melbourne by car?')).toEqual([]);
    expect(labelOf('Write a haiku about the sea.')).toEqual([]);
  });

  it('thanks followed by a long new request is not satisfied', () => {
    expect(
      labelOf(
        'Thanks! Now please plan a five day trip through Victoria with a budget of two thousand dollars and a rental car.',
      ),
    ).toEqual([]);
  });
});

describe('when feedback is read', () => {
  it('a first turn is never feedback, even "that\'s wrong": there is no answer to react to', () => {
    expect(evaluateFamily(userFeedbackFamily, ALL_LABELS, contextFor("That's wrong."))).toEqual([]);
  });

  it('a system prompt is not an answer', () => {
    const context = contextFor({
      messages: [
        { role: 'system', content: 'You are helpful.' },
        { role: 'user', content: "That's wrong." },
      ],
    });
    expect(evaluateFamily(userFeedbackFamily, ALL_LABELS, context)).toEqual([]);
  });
});

describe('rules named after no label', () => {
  it('load with a warning that they never match', async () => {
    const evaluator = await userFeedbackFamily.create([{ name: 'balance_user_reports_incorrect_answer' }], {
      policyDir: '.',
    });
    expect(evaluator.warnings?.[0]?.message).toContain('never matches');
    expect(await evaluator.evaluate(afterAnAnswer("That's wrong."))).toEqual([]);
  });
});
