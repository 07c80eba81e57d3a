// `user_feedbacks` family (condition type `user_feedback`): what the latest user turn says about the previous
// answer. Like vLLM Semantic Router's feedback detector it gives one label per turn (satisfied, need_clarification,
// wrong_answer, want_different) or none, and only when an assistant answer precedes the turn; a rule matches when
// its name is the label. This router detects the labels with phrase patterns (user-feedback-phrases.ts).
import { z } from 'zod';
import type { RequestContext } from '../request/request-context.ts';
import { defineSignalFamily, type RuleProblem, type SignalMatch } from './signal-family.ts';
import {
  FEEDBACK_LABELS,
  FEEDBACK_PHRASES,
  FEEDBACK_SCAN_CHARS,
  type FeedbackLabel,
  SATISFIED_MAX_WORDS,
} from './user-feedback-phrases.ts';

const userFeedbackRuleSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
});

export type UserFeedbackRule = z.infer<typeof userFeedbackRuleSchema>;

/** Whether an assistant message comes before the last user message: the turn reacts to an answer. */
export function followsAnAnswer(context: RequestContext): boolean {
  const messages = context.request.messages;
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') {
      lastUser = i;
      break;
    }
  }
  return messages.slice(0, Math.max(0, lastUser)).some((m) => m.role === 'assistant');
}

function normalise(text: string): string {
  return text
    .slice(0, FEEDBACK_SCAN_CHARS)
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

/** The feedback a user turn gives on the previous answer, or undefined when it gives none. */
export function detectFeedback(turn: string): FeedbackLabel | undefined {
  const text = normalise(turn);
  if (text === '') return undefined;
  const words = text.split(' ').length;
  for (const label of FEEDBACK_LABELS) {
    if (label === 'satisfied' && words > SATISFIED_MAX_WORDS) continue;
    if (FEEDBACK_PHRASES[label].some((pattern) => pattern.test(text))) return label;
  }
  return undefined;
}

function unknownLabelWarnings(rules: readonly UserFeedbackRule[]): RuleProblem[] {
  const labels: readonly string[] = FEEDBACK_LABELS;
  return rules.flatMap((rule, ruleIndex) =>
    labels.includes(rule.name)
      ? []
      : [
          {
            ruleIndex,
            path: 'name',
            message: `user_feedback rule '${rule.name}' is not a feedback label, so it never matches`,
            hint: `name the rule after the label it matches: ${FEEDBACK_LABELS.join(', ')}`,
          },
        ],
  );
}

export const userFeedbackFamily = defineSignalFamily<UserFeedbackRule>({
  family: 'user_feedbacks',
  conditionType: 'user_feedback',
  ruleSchema: userFeedbackRuleSchema,
  create(rules) {
    const names = new Set(rules.map((r) => r.name));
    return {
      evaluate(context) {
        if (!followsAnAnswer(context)) return [];
        const label = detectFeedback(context.lastUserText);
        if (label === undefined || !names.has(label)) return [];
        const match: SignalMatch = { name: label, confidence: 1, detail: `feedback=${label}` };
        return [match];
      },
      warnings: unknownLabelWarnings(rules),
    };
  },
});
