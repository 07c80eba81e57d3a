// knn, kmeans, svm, mlp: selection learned offline from routing-outcome data (`semantic-router train --task
// selection`); the model file is read when the policy loads, the prompt is scored synchronously per request.
import { z } from 'zod';
import type {
  CandidateScore,
  ModelCandidate,
  Selection,
  SelectionAlgorithm,
  SelectionContext,
} from '../model-selector.ts';
import {
  BUILT_IN_SELECTION_DATASETS,
  builtInModelFile,
  type LearnedSelectionModel,
  loadLearnedModel,
} from './learned-model.ts';
import type { LearnedAlgorithm } from './model-file.ts';
import { chooseCandidate, quantileOf, type RuleCandidate, type RuleOptions } from './routing-rule.ts';
import { checkProfiles, loadTrainedModel, trainedModelFile } from './trained-model-config.ts';

export interface LearnedSelectionConfig extends RuleOptions {
  readonly model: LearnedSelectionModel;
  /** Candidate (policy model name) → trained profile, from `models:`. */
  readonly profileOf: ReadonlyMap<string, string>;
}

const rawConfigSchema = z.strictObject({
  /** A built-in data set name (`mmlu-pro`, `routerbench`) or the path of a model `.json` (relative to the cwd). */
  model: z.string().min(1).optional(),
  /** Policy model name → the trained profile it stands for (e.g. `big-reasoner: gpt-4o-2024-05-13`). */
  models: z.record(z.string(), z.string().min(1)).optional(),
  threshold: z.number().min(0).max(1).optional(),
  strong_share: z.number().min(0).max(1).optional(),
});

function configSchema(algorithm: LearnedAlgorithm): z.ZodType<LearnedSelectionConfig> {
  return rawConfigSchema.transform((raw, ctx): LearnedSelectionConfig => {
    const file = trainedModelFile(raw.model, BUILT_IN_SELECTION_DATASETS, (name) =>
      builtInModelFile(algorithm, name),
    );
    const model = loadTrainedModel(
      () => loadLearnedModel(file),
      ctx,
      (problem) =>
        `cannot load the ${algorithm} selection model: ${problem}; train one with 'semantic-router train --task selection' or use a built-in name (${BUILT_IN_SELECTION_DATASETS.join(', ')})`,
    );
    if (model === undefined) return z.NEVER;
    if (model.header.algorithm !== algorithm) {
      ctx.addIssue({
        code: 'custom',
        path: ['model'],
        message: `${file} is a ${model.header.algorithm} model, not ${algorithm}`,
      });
      return z.NEVER;
    }
    const known = new Set(model.profiles.map((p) => p.name));
    checkProfiles(raw.models, known, file, ctx);
    return {
      model,
      profileOf: new Map(Object.entries(raw.models ?? {})),
      threshold: raw.threshold ?? 0,
      strongShare: raw.strong_share ?? 0.5,
    };
  }) as unknown as z.ZodType<LearnedSelectionConfig>;
}

/** The trained profile a candidate stands for: `models:` map, else its name, else its provider model id. */
function profileIndex(
  candidate: ModelCandidate,
  config: LearnedSelectionConfig,
  context: SelectionContext,
  index: ReadonlyMap<string, number>,
): number | undefined {
  const mapped = config.profileOf.get(candidate.model);
  if (mapped !== undefined) return index.get(mapped);
  return index.get(candidate.model) ?? index.get(context.models.get(candidate.model)?.providerModelId ?? '');
}

function policyPrice(candidate: ModelCandidate, context: SelectionContext): number | undefined {
  const pricing = context.models.get(candidate.model)?.pricing;
  if (pricing?.promptPer1m === undefined && pricing?.completionPer1m === undefined) return undefined;
  return (pricing.promptPer1m ?? 0) + (pricing.completionPer1m ?? 0);
}

function learnedSelection(algorithm: LearnedAlgorithm): SelectionAlgorithm<LearnedSelectionConfig> {
  return {
    name: algorithm,
    configSchema: configSchema(algorithm),
    create: (config) => {
      const profiles = config.model.profiles;
      const index = new Map(profiles.map((p, i) => [p.name, i]));
      const quantiles = config.model.header.difficultyQuantiles;
      return {
        algorithm,
        select: <C extends ModelCandidate>(
          candidates: readonly C[],
          context: SelectionContext,
        ): Selection<C> => {
          const predicted = config.model.predict(context.request.lastUserText);
          let mean = 0;
          for (const p of predicted) mean += p;
          const difficulty = 1 - mean / Math.max(1, predicted.length);
          const quantile = quantileOf(difficulty, quantiles);
          const mappedIndex = candidates.map((c) => profileIndex(c, config, context, index));
          const prices = candidates.map((c) => policyPrice(c, context));
          const anyPolicyPrice = prices.some((p) => p !== undefined);
          const rule: RuleCandidate[] = candidates.map((_, i) => {
            const m = mappedIndex[i];
            const quality = m === undefined ? undefined : (predicted[m] as number);
            // Prices from the policy when it has them; mixing in training costs would compare unlike units.
            const price = anyPolicyPrice ? prices[i] : m === undefined ? undefined : profiles[m]?.meanCost;
            return { quality, price, strength: context.models.get(candidates[i]?.model ?? '')?.quality };
          });
          const choice = chooseCandidate(rule, quantile, config);
          const scores: CandidateScore[] = candidates.map((c, i) => {
            const r = rule[i] as RuleCandidate;
            const parts: Record<string, number> = { difficulty_quantile: quantile };
            if (r.price !== undefined) parts.price = r.price;
            return { model: c.model, score: r.quality ?? 1 - difficulty, parts };
          });
          return {
            candidate: candidates[choice.index] as C,
            scores,
            reason: `${algorithm}: ${choice.reason}`,
          };
        },
      };
    },
  };
}

export const knnSelection = learnedSelection('knn');
export const kmeansSelection = learnedSelection('kmeans');
export const svmSelection = learnedSelection('svm');
export const mlpSelection = learnedSelection('mlp');
export const learnedSelections = [knnSelection, kmeansSelection, svmSelection, mlpSelection] as const;
