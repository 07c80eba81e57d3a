// Numeric predicates on a decision leaf (`predicate: {gte: 0.5}`): the leaf matches when its signal's score passes
// every bound, as in vLLM Semantic Router's rule nodes.
import { z } from 'zod';

export const leafPredicateSchema = z
  .strictObject({
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    eq: z.number().optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), {
    message: 'a predicate needs at least one of gt, gte, lt, lte, eq',
  });

export type LeafPredicate = z.infer<typeof leafPredicateSchema>;

/** Whether `score` passes every bound the predicate sets. */
export function passesPredicate(predicate: LeafPredicate, score: number): boolean {
  if (predicate.gt !== undefined && !(score > predicate.gt)) return false;
  if (predicate.gte !== undefined && !(score >= predicate.gte)) return false;
  if (predicate.lt !== undefined && !(score < predicate.lt)) return false;
  if (predicate.lte !== undefined && !(score <= predicate.lte)) return false;
  if (predicate.eq !== undefined && score !== predicate.eq) return false;
  return true;
}

/** Bounds that no score can pass (e.g. `gt: 0.8, lt: 0.2`), for a load-time error. */
export function isUnsatisfiable(predicate: LeafPredicate): boolean {
  const lower = Math.max(predicate.gt ?? Number.NEGATIVE_INFINITY, predicate.gte ?? Number.NEGATIVE_INFINITY);
  const upper = Math.min(predicate.lt ?? Number.POSITIVE_INFINITY, predicate.lte ?? Number.POSITIVE_INFINITY);
  if (lower > upper) return true;
  if (lower === upper && (predicate.gt === lower || predicate.lt === upper)) return true;
  if (predicate.eq !== undefined) return !passesPredicate({ ...predicate, eq: undefined }, predicate.eq);
  return false;
}
