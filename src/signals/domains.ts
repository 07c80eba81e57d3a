// `domains` family (condition type `domain`): the last user message's category from a classifier (WideMLP or HF).
import { z } from 'zod';
import { type TextClassifierModel, topLabel } from '../ml/model-store.ts';
import {
  clampProbability,
  classifyLastUserText,
  closeModels,
  loadRuleModels,
  probabilitySchema,
  throwRuleProblems,
} from './classifiers.ts';
import { defineSignalFamily, type RuleProblem, type SignalMatch } from './signal-family.ts';

/**
 * Minimum probability of the top category when neither the rule nor the model's card.json sets one. vLLM
 * Semantic Router's category classifier threshold is 0.6 for a 14-way BERT classifier; our calibrated WideMLP
 * gives lower top-1 probabilities on ambiguous prompts, so 0.5 keeps a clear majority while matching them.
 */
export const DEFAULT_DOMAIN_THRESHOLD = 0.5;

const domainRuleSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Model labels (MMLU-Pro categories) this domain stands for; default: the label equal to `name`. */
  mmlu_categories: z.array(z.string().min(1, 'categories must not be empty strings')).optional(),
  /** Extension: minimum probability of the top category (default: card.json's `threshold`, else 0.5). */
  threshold: probabilitySchema.optional(),
  /** Extension: WideMLP model file or directory, or a Hugging Face export directory, relative to the policy file. */
  model: z.string().min(1, 'model must name a model file or directory').optional(),
  /** The peer's per-domain model scores: accepted and reported, not used (selection reads the models' `quality`). */
  model_scores: z
    .array(
      z
        .object({ model: z.string().min(1), score: z.number(), use_reasoning: z.boolean().optional() })
        .loose(),
    )
    .optional(),
});

export type DomainRule = z.infer<typeof domainRuleSchema>;

function normalize(label: string): string {
  return label.trim().toLowerCase();
}

export const domainsFamily = defineSignalFamily<DomainRule>({
  family: 'domains',
  conditionType: 'domain',
  ruleSchema: domainRuleSchema,
  async create(rules, deps) {
    const models = await loadRuleModels(
      rules.map((r) => r.model ?? null),
      deps,
      'domain',
    );
    const problems: RuleProblem[] = [];
    const compiled = rules.map((rule, ruleIndex) => {
      const classifier = models.byRule[ruleIndex] as TextClassifierModel;
      const labels = new Map(classifier.labels.map((label, index) => [normalize(label), index]));
      const accepted = new Set<number>();
      const known = `model labels: ${classifier.labels.join(', ')}`;
      if (rule.mmlu_categories === undefined) {
        const index = labels.get(normalize(rule.name));
        if (index === undefined) {
          problems.push({
            ruleIndex,
            path: 'name',
            message: `domain '${rule.name}' is not a label of ${classifier.file}, so it can never match`,
            hint: `map it with mmlu_categories (${known})`,
          });
        } else accepted.add(index);
      } else {
        const nameIndex = labels.get(normalize(rule.name));
        if (nameIndex !== undefined) accepted.add(nameIndex);
        rule.mmlu_categories.forEach((category, k) => {
          const index = labels.get(normalize(category));
          if (index === undefined) {
            problems.push({
              ruleIndex,
              path: `mmlu_categories.${k}`,
              message: `'${category}' is not a label of ${classifier.file}`,
              hint: known,
            });
          } else accepted.add(index);
        });
      }
      const threshold = rule.threshold ?? classifier.card.threshold ?? DEFAULT_DOMAIN_THRESHOLD;
      return { rule, classifier, accepted, threshold };
    });
    throwRuleProblems(problems, models);
    return {
      async evaluate(context) {
        const outputs = await classifyLastUserText(
          compiled.map((c) => c.classifier),
          context,
        );
        const matches: SignalMatch[] = [];
        compiled.forEach(({ rule, classifier, accepted, threshold }, k) => {
          const probabilities = outputs[k];
          if (probabilities === undefined) return;
          const top = topLabel(probabilities);
          const p = clampProbability(top.probability);
          if (accepted.has(top.index) && p >= threshold) {
            matches.push({
              name: rule.name,
              confidence: p,
              detail: `category=${classifier.labels[top.index] ?? '?'} p=${p.toFixed(3)}`,
            });
          }
        });
        return matches;
      },
      close: closeModels(models),
      warnings: modelScoresWarning(rules),
    };
  },
});

/** One warning for the family, at the first rule with `model_scores`, saying they do not steer selection. */
function modelScoresWarning(rules: readonly DomainRule[]): RuleProblem[] {
  const ruleIndex = rules.findIndex((rule) => rule.model_scores !== undefined);
  if (ruleIndex < 0) return [];
  const count = rules.filter((rule) => rule.model_scores !== undefined).length;
  return [
    {
      ruleIndex,
      path: 'model_scores',
      message: `model_scores (${count} domain rule${count === 1 ? '' : 's'}) are accepted but not used: model selection weighs each model's \`quality\``,
      hint: "set the models' quality (v0.3: modelCards quality_score), or route per domain with a decision's modelRefs",
    },
  ];
}
