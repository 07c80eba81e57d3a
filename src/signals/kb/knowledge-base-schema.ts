// Schema of a knowledge base (vLLM Semantic Router `global.model_catalog.kbs[]`, our top-level `knowledge_bases`) and
// of its labels manifest (`labels.json`: `{labels: {<label>: {description, exemplars}}}`).
import { z } from 'zod';

const nameSchema = z.string().min(1, 'must not be empty');
const unitSchema = z.number().min(0, 'must be at least 0').max(1, 'must be at most 1');

/** How exemplars are reduced to prototypes and a label's score computed from them (the peer's defaults). */
export const prototypeScoringSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Exemplars at least this similar to a cluster's seed join its cluster; one prototype per cluster. */
  cluster_similarity_threshold: unitSchema.default(0.9),
  /** Most prototypes kept per label (the largest clusters). */
  max_prototypes: z.number().int().positive().default(8),
  /** Score = best_weight × best similarity + (1 − best_weight) × mean of the top_m similarities. */
  best_weight: unitSchema.default(0.75),
  top_m: z.number().int().positive().default(2),
  /** Accepted for compatibility; the peer reads it nowhere in scoring. */
  margin_threshold: z.number().min(0).default(0),
});

export type PrototypeScoring = z.infer<typeof prototypeScoringSchema>;

export const PROTOTYPE_SCORING_DEFAULTS: PrototypeScoring = prototypeScoringSchema.parse({});

export const knowledgeBaseMetricSchema = z.strictObject({
  name: nameSchema,
  type: z.literal('group_margin', { message: 'type must be group_margin' }),
  positive_group: nameSchema,
  negative_group: nameSchema,
});

export const knowledgeBaseSchema = z.strictObject({
  name: nameSchema,
  description: z.string().optional(),
  source: z.strictObject({
    /** Directory of the manifest: relative to the policy file's directory, else to one of its ancestors. */
    path: nameSchema,
    manifest: nameSchema.default('labels.json'),
  }),
  /** Score (calibrated, see docs/signals-kb.md) a label needs for `match: threshold`. */
  threshold: unitSchema,
  label_thresholds: z.record(z.string(), unitSchema).default({}),
  prototype_scoring: prototypeScoringSchema.default(PROTOTYPE_SCORING_DEFAULTS),
  groups: z.record(z.string(), z.array(nameSchema)).default({}),
  metrics: z.array(knowledgeBaseMetricSchema).default([]),
  /**
   * Extension: the embedding model (file, directory or Hugging Face feature extraction export, relative to the
   * policy file); the built-in `models/embedding` when absent.
   */
  model: z.string().min(1, 'model must name a model file or directory').optional(),
  /**
   * Extension: cosine mapped to 0 before scoring, `(cosine − floor) / (1 − floor)`; default 0.83 for the built-in
   * model (measured, docs/signals-kb.md) and 0 (raw cosine, as the peer) for a `model` of your own.
   */
  similarity_floor: z.number().min(0).lt(1, 'similarity_floor must be below 1').optional(),
});

export type KnowledgeBaseDocument = z.infer<typeof knowledgeBaseSchema>;
export type KnowledgeBaseMetric = z.infer<typeof knowledgeBaseMetricSchema>;

export const labelsManifestSchema = z
  .object({
    version: z.unknown().optional(),
    description: z.string().optional(),
    labels: z.record(
      z.string().min(1),
      z.object({ description: z.string().optional(), exemplars: z.array(z.string()).default([]) }).loose(),
    ),
  })
  .loose();

export type LabelsManifest = z.infer<typeof labelsManifestSchema>;

/** The policy's `knowledge_bases`: names are unique (they are what rules and kb_metric inputs name). */
export const knowledgeBasesSchema = z.array(knowledgeBaseSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((kb, index) => {
    if (seen.has(kb.name))
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `duplicate knowledge base name '${kb.name}'`,
      });
    seen.add(kb.name);
  });
});
