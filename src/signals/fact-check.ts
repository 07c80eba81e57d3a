// `fact_check` family (condition type `fact_check`): whether the latest user turn asks for or asserts facts that an
// answer should verify. Like vLLM Semantic Router's fact-check classifier it gives one of two labels for every
// turn with text, `needs_fact_check` or `no_fact_check_needed`; a rule matches when its name is the label. This
// router decides with the weighted cues of fact-check-cues.ts (measured in docs/signals-conversation.md).
import { z } from 'zod';
import {
  CLOZE_STEM,
  FACT_CHECK_SCAN_CHARS,
  FACTOID_QUESTION,
  FACTUAL_TOPIC,
  NO_FACT_CHECK_CUES,
  SPECIFIC_REFERENCE,
} from './fact-check-cues.ts';
import { defineSignalFamily, type RuleProblem, type SignalMatch } from './signal-family.ts';

export const FACT_CHECK_LABELS = ['needs_fact_check', 'no_fact_check_needed'] as const;
export type FactCheckLabel = (typeof FACT_CHECK_LABELS)[number];

const factCheckRuleSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
});

export type FactCheckRule = z.infer<typeof factCheckRuleSchema>;

/**
 * Evidence for a fact check (a factoid question or exam stem 2, another question 1, a factual topic 1, a name or
 * year 1) and against it (2 per cue of production work).
 */
export function factCheckScores(text: string): { readonly facts: number; readonly production: number } {
  const head = text.slice(0, FACT_CHECK_SCAN_CHARS).trim();
  const firstLine = head.split('\n', 1)[0] ?? '';
  const facts =
    (FACTOID_QUESTION.test(firstLine) || CLOZE_STEM.test(firstLine) ? 2 : /\?\s*$/.test(firstLine) ? 1 : 0) +
    (FACTUAL_TOPIC.test(head) ? 1 : 0) +
    (SPECIFIC_REFERENCE.test(head) ? 1 : 0);
  const production = 2 * NO_FACT_CHECK_CUES.filter((cue) => cue.test(head)).length;
  return { facts, production };
}

/** The label of a turn, or undefined when it has no text. */
export function classifyFactCheck(text: string): FactCheckLabel | undefined {
  if (text.trim() === '') return undefined;
  const { facts, production } = factCheckScores(text);
  return facts >= 2 && facts > production ? 'needs_fact_check' : 'no_fact_check_needed';
}

function unknownLabelWarnings(rules: readonly FactCheckRule[]): RuleProblem[] {
  const labels: readonly string[] = FACT_CHECK_LABELS;
  return rules.flatMap((rule, ruleIndex) =>
    labels.includes(rule.name)
      ? []
      : [
          {
            ruleIndex,
            path: 'name',
            message: `fact_check rule '${rule.name}' is not a fact-check label, so it never matches`,
            hint: `name the rule after the label it matches: ${FACT_CHECK_LABELS.join(' or ')}`,
          },
        ],
  );
}

export const factCheckFamily = defineSignalFamily<FactCheckRule>({
  family: 'fact_check',
  conditionType: 'fact_check',
  ruleSchema: factCheckRuleSchema,
  create(rules) {
    const names = new Set(rules.map((r) => r.name));
    return {
      evaluate(context) {
        const label = classifyFactCheck(context.lastUserText);
        if (label === undefined || !names.has(label)) return [];
        const match: SignalMatch = { name: label, confidence: 1, detail: `fact_check=${label}` };
        return [match];
      },
      warnings: unknownLabelWarnings(rules),
    };
  },
});
