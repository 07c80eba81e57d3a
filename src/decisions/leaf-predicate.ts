// Numeric predicates on a decision leaf (`predicate: {gte: 0.5}`): the leaf matches when its signal's score passes
// every bound. The signal families' `{gt, gte, lt, lte}` with vLLM Semantic Router's contract for rule nodes: at
// most one lower and one upper bound, finite values, a non-empty range.
import type { z } from 'zod';
import { numericPredicateSchema, testPredicate } from '../signals/numeric-predicate.ts';

export const leafPredicateSchema = numericPredicateSchema
  .refine((p) => Object.values(p).every((v) => v === undefined || Number.isFinite(v)), {
    message: 'predicate values must be finite',
  })
  .refine((p) => p.gt === undefined || p.gte === undefined, {
    message: 'a predicate cannot set both gt and gte',
  })
  .refine((p) => p.lt === undefined || p.lte === undefined, {
    message: 'a predicate cannot set both lt and lte',
  });

export type LeafPredicate = z.infer<typeof leafPredicateSchema>;

/** Whether `score` passes every bound the predicate sets. */
export const passesPredicate: (predicate: LeafPredicate, score: number) => boolean = testPredicate;

/** Bounds that no score can pass (e.g. `gt: 0.8, lt: 0.2`), for a load-time error. */
export function isUnsatisfiable(predicate: LeafPredicate): boolean {
  const lower = predicate.gt ?? predicate.gte ?? Number.NEGATIVE_INFINITY;
  const upper = predicate.lt ?? predicate.lte ?? Number.POSITIVE_INFINITY;
  if (lower > upper) return true;
  return lower === upper && (predicate.gt !== undefined || predicate.lt !== undefined);
}
