// Runs one synchronous signal family against one request, the way the signal engine does, for unit tests.
import type { RequestContext } from '../../src/request/request-context.ts';
import type { SignalDeps, SignalFamily, SignalMatch, SignalRule } from '../../src/signals/signal-family.ts';

export const TEST_SIGNAL_DEPS: SignalDeps = {
  policyDir: '.',
  identity: { userIdHeader: 'x-user', userGroupsHeader: 'x-groups' },
};

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
