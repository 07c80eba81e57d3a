// `reasks` family (condition type `reask`): the user asks again what they asked in their previous turns, a sign
// that the answers did not satisfy them. Semantics follow vLLM Semantic Router's reask classifier.
import { z } from 'zod';
import { capSignalText, type RequestContext } from '../request/request-context.ts';
import { probabilitySchema } from './classifiers.ts';
import { defineSignalFamily, type SignalMatch } from './signal-family.ts';
import {
  calibrateSimilarity,
  DEFAULT_REASK_THRESHOLD,
  trigramCosine,
  trigramCounts,
} from './turn-similarity.ts';

/** The peer's default `lookback_turns`. */
export const DEFAULT_LOOKBACK_TURNS = 1;

const reaskRuleSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Calibrated similarity every looked-back turn must reach; absent or 0 = 0.8, as in the peer. */
  threshold: probabilitySchema.optional(),
  /** How many previous user turns in a row the current one must repeat; absent or 0 = 1, as in the peer. */
  lookback_turns: z.number().int('lookback_turns must be a whole number').min(0).optional(),
});

export type ReaskRule = z.infer<typeof reaskRuleSchema>;

interface EffectiveRule {
  readonly name: string;
  readonly threshold: number;
  readonly lookback: number;
}

function withDefaults(rule: ReaskRule): EffectiveRule {
  return {
    name: rule.name,
    threshold: rule.threshold || DEFAULT_REASK_THRESHOLD,
    lookback: rule.lookback_turns || DEFAULT_LOOKBACK_TURNS,
  };
}

/**
 * Similarity of the current user turn to each earlier non-empty user turn, most recent first, stopping after the
 * first one below `floor` (no rule can see past it).
 */
function similaritiesToPriorTurns(context: RequestContext, floor: number): number[] {
  const turns = context.userFullTexts;
  const current = context.lastUserText.trim();
  if (current === '' || turns.length < 2) return [];
  const currentGrams = trigramCounts(current);
  const similarities: number[] = [];
  for (let i = turns.length - 2; i >= 0; i--) {
    const prior = capSignalText((turns[i] as string).trim());
    if (prior === '') continue;
    const similarity = calibrateSimilarity(trigramCosine(currentGrams, trigramCounts(prior)));
    similarities.push(similarity);
    if (similarity < floor) break;
  }
  return similarities;
}

/** Consecutive turns (most recent first) at or above `threshold`, and the least similar of the first `lookback`. */
function streakOf(similarities: readonly number[], threshold: number, lookback: number) {
  let streak = 0;
  let minimum = 1;
  for (const similarity of similarities) {
    if (similarity < threshold) break;
    if (streak < lookback) minimum = Math.min(minimum, similarity);
    streak++;
  }
  return { streak, minimum };
}

export const reaskFamily = defineSignalFamily<ReaskRule>({
  family: 'reasks',
  conditionType: 'reask',
  ruleSchema: reaskRuleSchema,
  create(rules) {
    const effective = rules.map(withDefaults);
    const floor = Math.min(...effective.map((r) => r.threshold));
    return {
      evaluate(context) {
        if (effective.length === 0) return [];
        const similarities = similaritiesToPriorTurns(context, floor);
        const matches: (SignalMatch & { readonly lookback: number })[] = [];
        for (const rule of effective) {
          const { streak, minimum } = streakOf(similarities, rule.threshold, rule.lookback);
          if (streak < rule.lookback) continue;
          matches.push({
            name: rule.name,
            confidence: minimum,
            detail: `repeated_turns=${streak} min_similarity=${minimum.toFixed(3)}`,
            value: streak,
            lookback: rule.lookback,
          });
        }
        // As in the peer, only the rules that look back furthest report: a persistent re-ask is not also a first one.
        const furthest = Math.max(0, ...matches.map((m) => m.lookback));
        return matches
          .filter((m) => m.lookback === furthest)
          .map(({ lookback: _lookback, ...match }) => match);
      },
    };
  },
});
