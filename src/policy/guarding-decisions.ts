// Which signals stand guard: those read by a decision that is a guardrail (`enforce: always`) or that refuses the
// request (a `block` or `fast_response` plugin). A rule that can never match there would let through what the
// decision means to stop, so its load warning becomes an error (see unsupported.ts).
import { collectSignalLeaves, signalKey } from '../decisions/rule-tree.ts';
import type { SignalFamily } from '../signals/signal-family.ts';
import type { CompiledDecision } from './policy.ts';
import type { OnError } from './policy-schema.ts';

const REFUSING_PLUGINS = new Set(['block', 'fast_response']);

/** Signal keys (`conditionType:name`) read by guarding decisions. */
export function guardingSignalKeys(decisions: readonly CompiledDecision[]): Set<string> {
  const keys = new Set<string>();
  for (const decision of decisions) {
    if (!decision.enforced && !decision.plugins.some((p) => REFUSING_PLUGINS.has(p.type))) continue;
    for (const leaf of collectSignalLeaves(decision.rule)) keys.add(leaf.key);
  }
  return keys;
}

/**
 * The family's on_error per reference name, with names a guarding decision reads set to `match` (fail closed) when
 * the family asks for it and the rule chose no on_error itself.
 */
export function failClosedWhenGuarding(
  family: SignalFamily,
  onError: ReadonlyMap<string, OnError>,
  explicit: ReadonlySet<string> | undefined,
  guarding: ReadonlySet<string>,
): ReadonlyMap<string, OnError> {
  if (!family.failClosedWhenGuarding) return onError;
  const result = new Map(onError);
  for (const name of result.keys())
    if (!explicit?.has(name) && guarding.has(signalKey(family.conditionType, name)))
      result.set(name, 'match');
  return result;
}
