// `router_dc`: RouterDC (dual-contrastive routing). Each candidate is scored by the cosine of the query's embedding
// (built-in embedder) with the candidate model's learned vector; softmax with `temperature` gives the choice's
// probabilities. Below `min_similarity` for every candidate the query is unlike anything the vectors were trained
// on, and the decision's first candidate is used.
import { z } from 'zod';
import { checkProfiles, loadTrainedModel, trainedModelFile } from '../learned/trained-model-config.ts';
import type {
  CandidateScore,
  ModelCandidate,
  Selection,
  SelectionAlgorithm,
  SelectionContext,
} from '../model-selector.ts';
import { builtInQueryEmbedder } from './query-embedder.ts';
import {
  BUILT_IN_ROUTER_DC_DATASETS,
  builtInRouterDcFile,
  loadRouterDcModel,
  type RouterDcModel,
} from './router-dc-model.ts';

export interface RouterDcConfig {
  readonly model: RouterDcModel;
  /** Candidate (policy model name) → trained profile, from `models:`. */
  readonly profileOf: ReadonlyMap<string, string>;
  readonly temperature: number;
  readonly minSimilarity: number;
}

const rawConfigSchema = z.strictObject({
  /** A built-in data set name (`mmlu-pro`, `routerbench`) or the path of a router_dc .json (relative to the cwd). */
  model: z.string().min(1).optional(),
  /** Policy model name → the trained profile it stands for. */
  models: z.record(z.string(), z.string().min(1)).optional(),
  temperature: z.number().positive().optional(),
  /** The peer's encoder width; here the width is the built-in embedder's, read from the model file. */
  dimension_size: z.number().int().positive().optional(),
  min_similarity: z.number().min(-1).max(1).optional(),
  /** The peer's query-query loss trains its encoder; the built-in embedder here is fixed, so it changes nothing. */
  use_query_contrastive: z.boolean().optional(),
  /** The peer's query-model loss: the only objective the vectors here are trained with, so always on. */
  use_model_contrastive: z.boolean().optional(),
  /**
   * The peer embeds model descriptions (and capabilities) to get model vectors; here the vectors are learned from
   * outcome data, so these are accepted and change nothing.
   */
  require_descriptions: z.boolean().optional(),
  use_capabilities: z.boolean().optional(),
});

const configSchema = rawConfigSchema.transform((raw, ctx): RouterDcConfig => {
  const file = trainedModelFile(raw.model, BUILT_IN_ROUTER_DC_DATASETS, builtInRouterDcFile);
  const model = loadTrainedModel(
    () => loadRouterDcModel(file),
    ctx,
    (problem) => `cannot load the router_dc model: ${problem}`,
  );
  if (model === undefined) return z.NEVER;
  checkProfiles(raw.models, model.profileIndex, file, ctx);
  return {
    model,
    profileOf: new Map(Object.entries(raw.models ?? {})),
    temperature: raw.temperature ?? model.header.temperature,
    minSimilarity: raw.min_similarity ?? 0,
  };
}) as unknown as z.ZodType<RouterDcConfig>;

function profileOf(candidate: ModelCandidate, config: RouterDcConfig, context: SelectionContext) {
  const index = config.model.profileIndex;
  const mapped = config.profileOf.get(candidate.model);
  if (mapped !== undefined) return index.get(mapped);
  return index.get(candidate.model) ?? index.get(context.models.get(candidate.model)?.providerModelId ?? '');
}

async function queryVector(text: string): Promise<Float32Array | undefined> {
  try {
    const [vector] = await (await builtInQueryEmbedder()).embed([text]);
    return vector;
  } catch {
    return undefined;
  }
}

function firstCandidate<C extends ModelCandidate>(
  candidates: readonly C[],
  why: string,
  scores?: CandidateScore[],
) {
  return {
    candidate: candidates[0] as C,
    reason: `router_dc: ${why}: first candidate`,
    ...(scores && { scores }),
  };
}

export const routerDcSelection: SelectionAlgorithm<RouterDcConfig> = {
  name: 'router_dc',
  configSchema,
  create: (config) => ({
    algorithm: 'router_dc',
    select: async <C extends ModelCandidate>(
      candidates: readonly C[],
      context: SelectionContext,
    ): Promise<Selection<C>> => {
      const profiles = candidates.map((c) => profileOf(c, config, context));
      if (profiles.every((p) => p === undefined))
        return firstCandidate(candidates, 'no candidate has a trained vector');
      const query = await queryVector(context.request.lastUserText);
      if (query === undefined) return firstCandidate(candidates, 'query embedder unavailable');
      const similarity = config.model.similarities(query);
      const sims = profiles.map((p) => (p === undefined ? undefined : (similarity[p] as number)));
      let best = -1;
      let max = Number.NEGATIVE_INFINITY;
      sims.forEach((s, i) => {
        if (s !== undefined && s > max) {
          max = s;
          best = i;
        }
      });
      let total = 0;
      const weights = sims.map((s) => (s === undefined ? 0 : Math.exp((s - max) / config.temperature)));
      for (const w of weights) total += w;
      const scores: CandidateScore[] = candidates.map((c, i) => {
        const s = sims[i];
        if (s === undefined) return { model: c.model, score: 0, excluded: 'no trained vector' };
        return { model: c.model, score: (weights[i] as number) / total, parts: { similarity: s } };
      });
      if (max < config.minSimilarity)
        return firstCandidate(
          candidates,
          `best similarity ${max.toFixed(3)} < min_similarity ${config.minSimilarity}`,
          scores,
        );
      return {
        candidate: candidates[best] as C,
        scores,
        reason: `router_dc: most similar model (similarity ${max.toFixed(3)})`,
      };
    },
  }),
};
