// Static checks that find policies which load but do not do what their author meant: shadowed decisions,
// unused signals, models no request can reach.
import { collectSignalLeaves, type RuleNode } from '../decisions/rule-tree.ts';
import { familiesByConditionType } from '../signals/index.ts';
import type { IssueCollector } from './issues.ts';
import type { CompiledDecision, CompiledModel } from './policy.ts';
import type { PolicyDocument } from './policy-schema.ts';

function sameRule(a: RuleNode, b: RuleNode): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'always':
      return true;
    case 'signal':
      return a.key === (b as typeof a).key;
    case 'not':
      return sameRule(a.child, (b as typeof a).child);
    case 'and':
    case 'or': {
      const other = b as typeof a;
      return (
        a.children.length === other.children.length &&
        a.children.every((c, i) => sameRule(c, other.children[i] as RuleNode))
      );
    }
  }
}

/** True when every request matching `b` also matches `a` (sound, not complete). */
export function implies(b: RuleNode, a: RuleNode): boolean {
  if (a.kind === 'always' || sameRule(a, b)) return true;
  if (b.kind === 'or') return b.children.length > 0 && b.children.every((child) => implies(child, a));
  if (a.kind === 'and') return a.children.every((child) => implies(b, child));
  if (a.kind === 'or' && a.children.some((child) => implies(b, child))) return true;
  if (b.kind === 'and') return b.children.some((child) => implies(child, a));
  return false;
}

/**
 * Decision `b` can never win when a decision `a` ranks above it whenever both match and `a` matches every
 * request `b` does. Under `priority`, a higher tier-priority pair ranks above; under `confidence` only identical
 * rules decide it (by name), since confidences vary per request.
 */
function shadowedBy(a: CompiledDecision, b: CompiledDecision, strategy: 'priority' | 'confidence'): boolean {
  if (a === b || !implies(b.rule, a.rule)) return false;
  // Enforced decisions rank above all others.
  if (a.enforced !== b.enforced) return a.enforced;
  if (a.tier !== b.tier) return a.tier < b.tier;
  // A catch-all ranks after every real match of its tier.
  if (a.rule.kind === 'always' && b.rule.kind !== 'always') return false;
  if (strategy === 'priority' && a.priority !== b.priority) return a.priority > b.priority;
  // Same rank: a catch-all (confidence 0) loses confidence ties, identical rules fall back to the name.
  return (
    sameRule(a.rule, b.rule) && (strategy === 'confidence' || a.priority === b.priority) && a.name < b.name
  );
}

export function analysePolicy(input: {
  doc: PolicyDocument;
  decisions: readonly CompiledDecision[];
  signals: ReadonlyMap<string, ReadonlySet<string>>;
  models: readonly CompiledModel[];
  issues: IssueCollector;
}): void {
  const { doc, decisions, signals, models, issues } = input;
  decisions.forEach((decision, index) => {
    const winner = decisions.find((other) => shadowedBy(other, decision, doc.routing.strategy));
    if (winner) {
      issues.warning(
        ['routing', 'decisions', index],
        `decision '${decision.name}' can never win: '${winner.name}' matches every request it matches and ranks above it`,
        `raise its priority above ${winner.priority} or make its rules more specific than '${winner.name}'`,
      );
    }
  });
  const referenced = new Set(decisions.flatMap((d) => collectSignalLeaves(d.rule).map((leaf) => leaf.key)));
  for (const [conditionType, names] of signals) {
    for (const name of names) {
      if (!referenced.has(`${conditionType}:${name}`)) {
        issues.warning(
          ['routing', 'signals', familiesByConditionType.get(conditionType)?.family ?? conditionType],
          `signal ${conditionType}:${name} is defined but no decision uses it`,
          'reference it in a decision or remove it',
        );
      }
    }
  }
  if (doc.identity.source === 'none' && (doc.routing.signals.role_bindings ?? []).length > 0) {
    issues.warning(
      ['identity', 'source'],
      'role_bindings can never match: identity.source is none, so no caller identity is read',
      'set identity.source to metadata (Envoy jwt_authn metadata) or headers (headers Envoy sets after removing the client copies)',
    );
  }
  doc.pools.forEach((pool, index) => {
    if (pool.private === true && pool.reserved_for === undefined) {
      const users = decisions.filter((d) =>
        d.modelRefs.some((ref) =>
          models.find((m) => m.name === ref.model)?.pools.some((p) => p.name === pool.name),
        ),
      );
      if (users.length === 0) {
        issues.warning(
          ['pools', index, 'private'],
          `private pool '${pool.name}' is reserved for the decisions that route to it, and none does: no request can use it`,
          'route a decision to a model on this pool, or list the decisions under reserved_for',
        );
      }
    }
  });
  models.forEach((model, index) => {
    if (model.pools.length === 0) {
      issues.warning(
        ['models', index, 'pools'],
        `model '${model.name}' has no pools: requests routed to it get 503`,
        'list at least one pool under the model',
      );
    }
  });
}
