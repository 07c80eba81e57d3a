// `jailbreak` family (condition type `jailbreak`): prompt-injection detection by classifier, regex patterns or both.
import { z } from 'zod';
import type { TextClassifierModel } from '../ml/model-store.ts';
import type { RequestContext } from '../request/request-context.ts';
import {
  clampProbability,
  closeModels,
  loadRuleModels,
  probabilitySchema,
  RequestClassifications,
  throwRuleProblems,
  userTexts,
} from './classifiers.ts';
import { defineSignalFamily, RuleConfigError, type RuleProblem, type SignalMatch } from './signal-family.ts';
import { compilePolicyRegex } from './text-matcher.ts';

/** P(jailbreak) that matches when neither the rule nor the model's card.json sets a threshold. */
export const DEFAULT_JAILBREAK_THRESHOLD = 0.5;

/** The label whose probability a jailbreak model reports. */
export const JAILBREAK_LABEL = 'jailbreak';

const patternList = z.array(z.string().min(1, 'patterns must not be empty strings'));

const jailbreakRuleSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** classifier: P(jailbreak) ≥ threshold; patterns: a jailbreak pattern and no benign one; hybrid: either. */
  method: z
    .enum(['classifier', 'patterns', 'hybrid'], { message: 'method must be classifier, patterns or hybrid' })
    .default('classifier'),
  /** Minimum P(jailbreak) (default: card.json's `threshold` of the model, else 0.5). */
  threshold: probabilitySchema.optional(),
  /** Look at every user message (the latest 16, max probability) rather than only the last one. */
  include_history: z.boolean().default(false),
  /** Regular expressions (RE2 spelling, case-insensitive) that flag a jailbreak. */
  jailbreak_patterns: patternList.optional(),
  /** Regular expressions that clear a text the jailbreak patterns flagged. */
  benign_patterns: patternList.optional(),
  /** Only `request` is supported. */
  direction: z.enum(['request', 'response'], { message: 'direction must be request' }).optional(),
  /** Extension: WideMLP model file or directory, or a Hugging Face export directory (default: models/jailbreak). */
  model: z.string().min(1, 'model must name a model file or directory').optional(),
});

export type JailbreakRule = z.infer<typeof jailbreakRuleSchema>;

function compilePatterns(
  patterns: readonly string[] | undefined,
  ruleIndex: number,
  field: string,
  problems: RuleProblem[],
): RegExp[] {
  const out: RegExp[] = [];
  (patterns ?? []).forEach((source, k) => {
    try {
      out.push(compilePolicyRegex(source, false, k));
    } catch (error) {
      problems.push({
        ruleIndex,
        path: `${field}.${k}`,
        message: `invalid regular expression: ${(error as Error).message}`,
        hint: 'fix the pattern (RE2 syntax; a leading (?i) and (?P<name>…) are accepted)',
      });
    }
  });
  return out;
}

function anyMatch(patterns: readonly RegExp[], text: string): boolean {
  for (const pattern of patterns) {
    pattern.lastIndex = 0;
    if (pattern.test(text)) return true;
  }
  return false;
}

interface CompiledRule {
  readonly rule: JailbreakRule;
  readonly jailbreak: readonly RegExp[];
  readonly benign: readonly RegExp[];
  readonly classifier: TextClassifierModel | undefined;
  readonly labelIndex: number;
  readonly threshold: number;
}

export const jailbreakFamily = defineSignalFamily<JailbreakRule>({
  family: 'jailbreak',
  conditionType: 'jailbreak',
  ruleSchema: jailbreakRuleSchema,
  async create(rules, deps) {
    const problems: RuleProblem[] = [];
    const patterns = rules.map((rule, ruleIndex) => {
      if (rule.direction === 'response') {
        problems.push({
          ruleIndex,
          path: 'direction',
          message: 'jailbreak detection on responses is not supported',
          hint: 'remove `direction` or set it to request',
        });
      }
      if (rule.method === 'patterns' && (rule.jailbreak_patterns ?? []).length === 0) {
        problems.push({
          ruleIndex,
          path: 'jailbreak_patterns',
          message: 'method patterns needs at least one jailbreak pattern',
          hint: 'list regular expressions under jailbreak_patterns, or use method classifier',
        });
      }
      return {
        jailbreak: compilePatterns(rule.jailbreak_patterns, ruleIndex, 'jailbreak_patterns', problems),
        benign: compilePatterns(rule.benign_patterns, ruleIndex, 'benign_patterns', problems),
      };
    });
    if (problems.length > 0) throw new RuleConfigError(problems);
    const models = await loadRuleModels(
      rules.map((r) => (r.method === 'patterns' ? undefined : (r.model ?? null))),
      deps,
      'jailbreak',
    );
    const compiled: CompiledRule[] = rules.map((rule, ruleIndex) => {
      const classifier = models.byRule[ruleIndex];
      // Case-insensitive: Hugging Face exports often spell labels in upper case.
      const labelIndex = classifier?.labels.findIndex((l) => l.toLowerCase() === JAILBREAK_LABEL) ?? -1;
      if (classifier !== undefined && labelIndex < 0) {
        problems.push({
          ruleIndex,
          path: 'model',
          message: `model ${classifier.file} has no '${JAILBREAK_LABEL}' label (labels: ${classifier.labels.join(', ')})`,
          hint: `use a jailbreak classifier whose labels include '${JAILBREAK_LABEL}'`,
        });
      }
      const threshold = rule.threshold ?? classifier?.card.threshold ?? DEFAULT_JAILBREAK_THRESHOLD;
      return {
        rule,
        ...(patterns[ruleIndex] ?? { jailbreak: [], benign: [] }),
        classifier,
        labelIndex,
        threshold,
      };
    });
    throwRuleProblems(problems, models);

    const probabilityOf = async (
      c: CompiledRule,
      context: RequestContext,
      results: RequestClassifications,
    ): Promise<number | undefined> => {
      if (c.classifier === undefined) return undefined;
      const history = c.rule.include_history;
      const outputs = await results.get(c.classifier, history ? 'history' : 'last', () =>
        history ? userTexts(context) : [context.lastUserText],
      );
      let best = 0;
      for (const probabilities of outputs)
        best = Math.max(best, clampProbability(probabilities[c.labelIndex]));
      return best;
    };

    return {
      async evaluate(context) {
        const results = new RequestClassifications();
        const probabilities = await Promise.all(compiled.map((c) => probabilityOf(c, context, results)));
        const matches: SignalMatch[] = [];
        compiled.forEach((c, k) => {
          const { rule } = c;
          const p = probabilities[k];
          const classifierHit = p !== undefined && p >= c.threshold;
          let patternHit = false;
          if (rule.method !== 'classifier' && c.jailbreak.length > 0) {
            const text = rule.include_history ? context.allUserText : context.lastUserText;
            patternHit = anyMatch(c.jailbreak, text) && !anyMatch(c.benign, text);
          }
          if (!classifierHit && !patternHit) return;
          const parts = [
            ...(p === undefined ? [] : [`p(jailbreak)=${p.toFixed(3)}`]),
            ...(patternHit ? ['pattern'] : []),
          ];
          matches.push({ name: rule.name, confidence: patternHit ? 1 : (p ?? 0), detail: parts.join(' ') });
        });
        return matches;
      },
      close: closeModels(models),
    };
  },
});
