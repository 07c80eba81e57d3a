// Which signals stand guard: those read by a decision that is a guardrail (`enforce: always`) or that refuses the
// request (a `block` or `fast_response` plugin). A rule that can never match there would let through what the
// decision means to stop, so its load warning becomes an error (see unsupported.ts).
import { collectSignalLeaves } from '../decisions/rule-tree.ts';
import type { CompiledDecision } from './policy.ts';

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
