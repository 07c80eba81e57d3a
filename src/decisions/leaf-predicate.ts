// Numeric predicates on a decision leaf (`predicate: {gte: 0.5}`): the leaf matches when its signal's score passes
// every bound, with vLLM Semantic Router's contract (gt / gte / lt / lte, at most one lower and one upper bound,
// finite values, a non-empty range).
import { z } from 'zod';

export const leafPredicateSchema = z
  .strictObject({
    gt: z.number().finite().optional(),
    gte: z.number().finite().optional(),
    lt: z.number().finite().optional(),
    lte: z.number().finite().optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), {
    message: 'a predicate needs at least one of gt, gte, lt, lte',
  })
  .refine((p) => p.gt === undefined || p.gte === undefined, {
    message: 'a predicate cannot set both gt and gte',
  })
  .refine((p) => p.lt === undefined || p.lte === undefined, {
    message: 'a predicate cannot set both lt and lte',
  });

export type LeafPredicate = z.infer<typeof leafPredicateSchema>;

/** Whether `score` passes every bound the predicate sets. */
export function passesPredicate(predicate: LeafPredicate, score: number): boolean {
  if (predicate.gt !== undefined && !(score > predicate.gt)) return false;
  if (predicate.gte !== undefined && !(score >= predicate.gte)) return false;
  if (predicate.lt !== undefined && !(score < predicate.lt)) return false;
  if (predicate.lte !== undefined && !(score <= predicate.lte)) return false;
  return true;
}

/** Bounds that no score can pass (e.g. `gt: 0.8, lt: 0.2`), for a load-time error. */
export function isUnsatisfiable(predicate: LeafPredicate): boolean {
  const lower = predicate.gt ?? predicate.gte ?? Number.NEGATIVE_INFINITY;
  const upper = predicate.lt ?? predicate.lte ?? Number.POSITIVE_INFINITY;
  if (lower > upper) return true;
  return lower === upper && (predicate.gt !== undefined || predicate.lt !== undefined);
}
