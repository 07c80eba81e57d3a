// `complexity` family (condition type `complexity`): the last user message's similarity to hard vs easy examples.
import { z } from 'zod';
import type { TextEmbeddingModel } from '../ml/embedding/text-embedder.ts';
import { ruleNodeSchema } from '../policy/policy-schema.ts';
import {
  candidateSchema,
  clampUnit,
  closeEmbedders,
  embedLastUserText,
  loadEmbeddedRules,
  maxSimilarity,
  modelSchema,
  similarityModelOf,
} from './embeddings.ts';
import { defineSignalFamily, type SignalMatch } from './signal-family.ts';

/** Margin between the hard and easy similarities below which a prompt is `medium` (vLLM Semantic Router's default). */
export const DEFAULT_COMPLEXITY_THRESHOLD = 0.1;

export const COMPLEXITY_LEVELS = ['easy', 'medium', 'hard'] as const;
export type ComplexityLevel = (typeof COMPLEXITY_LEVELS)[number];

const bankSchema = z.strictObject({
  candidates: z.array(candidateSchema).min(1, 'needs at least one candidate'),
  /** The peer's image prototypes: need a multimodal embedder; accepted with a warning, never compared. */
  image_candidates: z.array(z.string()).optional(),
});

const complexityRuleSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** hard − easy ≥ threshold → hard; easy − hard ≥ threshold → easy; otherwise medium. */
  threshold: z.number().min(0).max(1).optional(),
  hard: bankSchema,
  easy: bankSchema,
  /** Extension: embedding model file or directory, relative to the policy file (default: models/embedding). */
  model: modelSchema,
  /** The peer's composer: a rule over other signals that must hold for this rule to report a level. */
  composer: ruleNodeSchema.optional(),
});

export type ComplexityRule = z.infer<typeof complexityRuleSchema>;

/**
 * The level of a prompt from its best similarities to the hard and easy banks, and a confidence in [0, 1]:
 * for hard and easy, |hard − easy| (clipped to 1); for medium, 1 − |hard − easy| / threshold (1 when the two
 * are equal, falling to 0 at the margin; 1 when the threshold is 0 and they are equal). Below the model's
 * `noiseFloor` on both banks the prompt is medium.
 */
export function complexityLevel(
  hard: number,
  easy: number,
  threshold: number,
  noiseFloor = Number.NEGATIVE_INFINITY,
): { level: ComplexityLevel; confidence: number } {
  // Neither bank is closer than unrelated texts usually are: their difference is noise, not difficulty.
  const difference = Math.max(hard, easy) < noiseFloor ? 0 : hard - easy;
  if (!Number.isFinite(difference)) return { level: 'medium', confidence: 0 };
  if (difference >= threshold && difference > 0) return { level: 'hard', confidence: clampUnit(difference) };
  if (-difference >= threshold && difference < 0)
    return { level: 'easy', confidence: clampUnit(-difference) };
  const confidence = threshold > 0 ? 1 - Math.abs(difference) / threshold : 1;
  return { level: 'medium', confidence: clampUnit(confidence) };
}

export const complexityFamily = defineSignalFamily<ComplexityRule>({
  family: 'complexity',
  conditionType: 'complexity',
  ruleSchema: complexityRuleSchema,
  referenceNamesOf: (rule) => COMPLEXITY_LEVELS.map((level) => `${rule.name}:${level}`),
  async create(rules, deps) {
    const { embedders, rules: embedded } = await loadEmbeddedRules(
      rules,
      deps,
      (r) => [r.hard.candidates, r.easy.candidates],
      similarityModelOf(deps),
    );
    const compiled = rules.map((rule, k) => ({
      rule,
      embedder: embedded[k]?.embedder as TextEmbeddingModel,
      hard: embedded[k]?.banks[0] ?? [],
      easy: embedded[k]?.banks[1] ?? [],
      threshold: rule.threshold ?? DEFAULT_COMPLEXITY_THRESHOLD,
    }));
    return {
      async evaluate(context) {
        const queries = await Promise.all(compiled.map((c) => embedLastUserText(context, c.embedder)));
        const matches: SignalMatch[] = [];
        compiled.forEach(({ rule, embedder, hard, easy, threshold }, k) => {
          const query = queries[k];
          if (query === undefined) return;
          const h = maxSimilarity(embedder, query, hard);
          const e = maxSimilarity(embedder, query, easy);
          const { level, confidence } = complexityLevel(h, e, threshold, embedder.noiseFloor);
          matches.push({
            name: `${rule.name}:${level}`,
            confidence,
            detail: `hard=${h.toFixed(3)} easy=${e.toFixed(3)}`,
          });
        });
        return matches;
      },
      close: closeEmbedders(embedders),
      warnings: rules.flatMap((rule, ruleIndex) =>
        (['hard', 'easy'] as const)
          .filter((bank) => rule[bank].image_candidates !== undefined)
          .map((bank) => ({
            ruleIndex,
            path: `${bank}.image_candidates`,
            message: 'image_candidates are ignored: this router embeds text only (no multimodal embedder)',
          })),
      ),
    };
  },
});
