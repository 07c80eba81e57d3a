// A signal rule's `composer` (vLLM Semantic Router's complexity `composer`): a Boolean rule over the other signals
// of the request that must hold for the rule's result to stand, e.g. code difficulty only when the domain is
// computer science. Applied once every family has run; a rule whose composer does not hold reports no match.
import { evaluateRule, type RuleNode, type SignalState, signalKey } from '../decisions/rule-tree.ts';
import type { RawRuleNode } from '../policy/policy-schema.ts';
import type { SignalFamily, SignalMatch, SignalRule } from './signal-family.ts';
import { referenceNames } from './signal-family.ts';

export interface SignalComposer {
  /** Condition type of the gated rule's family, e.g. `complexity`. */
  readonly conditionType: string;
  /** Keys (`conditionType:name`) the gated rule may report, all dropped when the composer does not hold. */
  readonly keys: readonly string[];
  readonly rule: RuleNode;
}

export interface ComposableRule extends SignalRule {
  readonly composer?: RawRuleNode | undefined;
}

/**
 * The composers of a family's parsed rules; `compile` turns a raw rule tree into a RuleNode (reporting unknown
 * signals at `path`).
 */
export function familyComposers(
  family: SignalFamily,
  rules: readonly ComposableRule[],
  compile: (node: RawRuleNode, path: (string | number)[]) => RuleNode,
  familyPath: (string | number)[],
): SignalComposer[] {
  const composers: SignalComposer[] = [];
  rules.forEach((rule, index) => {
    if (rule.composer === undefined) return;
    composers.push({
      conditionType: family.conditionType,
      keys: referenceNames(family, [rule]).map((name) => signalKey(family.conditionType, name)),
      rule: compile(rule.composer, [...familyPath, index, 'composer']),
    });
  });
  return composers;
}

/**
 * Drops the matches of every rule whose composer does not hold over the request's signals. A composer leaf whose
 * signal failed follows its on_error, except that `fail` does not fail the request here: the gated rule does not
 * match.
 */
export function applyComposers(
  matches: Map<string, SignalMatch>,
  failed: SignalState['failed'],
  composers: readonly SignalComposer[],
): void {
  for (const composer of composers) {
    if (!composer.keys.some((key) => matches.has(key))) continue;
    let holds: boolean;
    try {
      holds = evaluateRule(composer.rule, failed ? { matches, failed } : { matches }).matched;
    } catch {
      holds = false;
    }
    if (!holds) for (const key of composer.keys) matches.delete(key);
  }
}

/** Leaves of the composers gating a family the policy runs: their families must run too. */
export function composerLeafTypes(
  composers: readonly SignalComposer[],
  runningTypes: ReadonlySet<string>,
): Set<string> {
  const types = new Set<string>();
  for (const composer of composers) {
    if (!runningTypes.has(composer.conditionType)) continue;
    collectTypes(composer.rule, types);
  }
  return types;
}

function collectTypes(node: RuleNode, into: Set<string>): void {
  if (node.kind === 'signal') into.add(node.conditionType);
  else if (node.kind === 'and' || node.kind === 'or')
    for (const child of node.children) collectTypes(child, into);
  else if (node.kind === 'not') collectTypes(node.child, into);
}
