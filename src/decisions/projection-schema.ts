// The YAML shape of `routing.projections` (vLLM Semantic Router's partitions, scores and mappings).
import { z } from 'zod';

const nameSchema = z.string().trim().min(1, 'must not be empty');

/** Several domain or embedding signals reduced to one winner before decisions read them. */
export const projectionPartitionSchema = z.strictObject({
  name: nameSchema,
  description: z.string().optional(),
  semantics: z.enum(['exclusive', 'softmax_exclusive']).default('exclusive'),
  /** Softmax temperature of `softmax_exclusive` (the peer treats ≤ 0 as 1). */
  temperature: z.number().optional(),
  members: z.array(nameSchema).min(1, 'a partition needs at least one member'),
  /** Member added as a match when no member matched. */
  default: nameSchema.optional(),
});

/** How an input turns a signal into a number: 1/0 (binary), its confidence, or a raw measurement. */
export const projectionValueSources = ['binary', 'match', 'confidence', 'raw', 'score'] as const;

export const projectionScoreInputSchema = z.strictObject({
  /** A condition type (`keyword`, `embedding`, …), `kb_metric`, or `projection` (another score). */
  type: nameSchema,
  name: nameSchema.optional(),
  weight: z.number(),
  value_source: z.enum(projectionValueSources).optional(),
  /** Value of a matched signal for binary inputs (the peer reads 0 as 1). */
  match: z.number().optional(),
  /** Value of an unmatched signal for binary inputs. */
  miss: z.number().optional(),
  /** `kb_metric` inputs: the knowledge base and the metric it reports. */
  kb: nameSchema.optional(),
  metric: nameSchema.optional(),
});

export const projectionScoreSchema = z.strictObject({
  name: nameSchema,
  description: z.string().optional(),
  method: z.literal('weighted_sum').default('weighted_sum'),
  inputs: z.array(projectionScoreInputSchema).min(1, 'a score needs at least one input'),
});

export const projectionOutputSchema = z.strictObject({
  name: nameSchema,
  description: z.string().optional(),
  gt: z.number().optional(),
  gte: z.number().optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
});

export const projectionMappingSchema = z.strictObject({
  name: nameSchema,
  description: z.string().optional(),
  /** The score this mapping reads. */
  source: nameSchema,
  method: z.enum(['threshold_bands', 'multi_emit', 'top_k']).default('threshold_bands'),
  /** `top_k`: most outputs emitted, nearest band centre first (all when absent). */
  top_k: z.number().int().positive().optional(),
  calibration: z
    .strictObject({
      method: z.literal('sigmoid_distance'),
      slope: z.number().positive().optional(),
    })
    .optional(),
  outputs: z.array(projectionOutputSchema).min(1, 'a mapping needs at least one output'),
});

export const projectionsSchema = z.strictObject({
  partitions: z.array(projectionPartitionSchema).default([]),
  scores: z.array(projectionScoreSchema).default([]),
  mappings: z.array(projectionMappingSchema).default([]),
});

export type ProjectionsDocument = z.infer<typeof projectionsSchema>;
export type ProjectionPartitionDocument = z.infer<typeof projectionPartitionSchema>;
export type ProjectionScoreDocument = z.infer<typeof projectionScoreSchema>;
export type ProjectionScoreInputDocument = z.infer<typeof projectionScoreInputSchema>;
export type ProjectionMappingDocument = z.infer<typeof projectionMappingSchema>;
export type ProjectionOutputDocument = z.infer<typeof projectionOutputSchema>;
