// Runs a signal family against requests, the way the signal engine does, for unit tests.
import type { RequestContext } from '../../src/request/request-context.ts';
import type {
  SignalDeps,
  SignalEvaluator,
  SignalFamily,
  SignalMatch,
  SignalRule,
} from '../../src/signals/signal-family.ts';
import { type ContextInput, contextFor } from './request-context.ts';

export const TEST_SIGNAL_DEPS: SignalDeps = { policyDir: '.' };

/** Parses `rawRules` with the family's schema, builds its evaluator and evaluates `context`. */
export function evaluateFamily<R extends SignalRule>(
  family: SignalFamily<R>,
  rawRules: readonly unknown[],
  context: RequestContext,
  deps: SignalDeps = TEST_SIGNAL_DEPS,
): readonly SignalMatch[] {
  const evaluator = family.create(
    rawRules.map((raw) => family.ruleSchema.parse(raw)),
    deps,
  );
  if (evaluator instanceof Promise)
    throw new Error(`${family.family} evaluator is expected to be synchronous`);
  const matches = evaluator.evaluate(context);
  if (matches instanceof Promise)
    throw new Error(`${family.family} evaluation is expected to be synchronous`);
  return matches;
}

/**
 * Builds a family's evaluator (ML ones load models) from raw rules and returns a scorer: the confidences of the
 * rules that match a request, by rule name. The evaluator is added to `opened` for the test to close.
 */
export async function familyScorer<R extends SignalRule>(
  family: SignalFamily<R>,
  rawRules: readonly unknown[],
  deps: SignalDeps,
  opened: SignalEvaluator[],
): Promise<(input: ContextInput | string) => Promise<Record<string, number>>> {
  const evaluator = await family.create(
    rawRules.map((raw) => family.ruleSchema.parse(raw)),
    deps,
  );
  opened.push(evaluator);
  return async (input) => {
    const matches = await evaluator.evaluate(contextFor(input));
    return Object.fromEntries(matches.map((m) => [m.name, m.confidence]));
  };
}
