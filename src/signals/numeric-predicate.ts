// `predicate: {gt, gte, lt, lte}` as used by the structure and conversation families.
import { z } from 'zod';

export const numericPredicateSchema = z
  .strictObject({
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), {
    message: 'a predicate needs at least one of gt, gte, lt, lte',
  });

export type NumericPredicate = z.infer<typeof numericPredicateSchema>;

export function testPredicate(predicate: NumericPredicate, value: number): boolean {
  return (
    (predicate.gt === undefined || value > predicate.gt) &&
    (predicate.gte === undefined || value >= predicate.gte) &&
    (predicate.lt === undefined || value < predicate.lt) &&
    (predicate.lte === undefined || value <= predicate.lte)
  );
}

export function describePredicate(predicate: NumericPredicate): string {
  return Object.entries(predicate)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}
