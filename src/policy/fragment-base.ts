// The documented base a decision fragment is validated in (docs/policy-fragments.md): for each signal its rules
// reference, a rule of the signal's family. Families with a built-in meaning get the rule that gives the name that
// meaning (a `domain` leaf is the built-in MMLU domain classifier's category of that name); the others get a simple
// placeholder rule, so that the decision's logic (operators, names, types) is what is checked.

/** A decision leaf `{type, name}` the base declares a signal for. */
export interface SignalReference {
  readonly type: string;
  readonly name: string;
}

interface BaseSignal {
  /** Family key under routing.signals. */
  readonly family: string;
  /** The rule declared for the leaf's name. */
  readonly rule: (name: string) => Record<string, unknown>;
  /** True when the rule means what the peer's name means (a built-in model), false for a placeholder. */
  readonly builtIn: boolean;
}

/** `needs_reasoning:hard` names the `hard` level of the complexity rule `needs_reasoning`. */
function complexityRuleName(name: string): string {
  const colon = name.lastIndexOf(':');
  return colon > 0 ? name.slice(0, colon) : name;
}

/** Condition type → the base's rule for a name of that type. */
export const FRAGMENT_BASE_SIGNALS: ReadonlyMap<string, BaseSignal> = new Map<string, BaseSignal>([
  // Built-in classifiers: the name is a label of the shipped model (models/domain, models/jailbreak, models/pii).
  ['domain', { family: 'domains', builtIn: true, rule: (name) => ({ name }) }],
  ['jailbreak', { family: 'jailbreak', builtIn: true, rule: (name) => ({ name, method: 'classifier' }) }],
  ['pii', { family: 'pii', builtIn: true, rule: (name) => ({ name }) }],
  ['language', { family: 'language', builtIn: true, rule: (name) => ({ name }) }],
  // Placeholders: any rule of the family with that name, so the decision's references resolve.
  [
    'keyword',
    { family: 'keywords', builtIn: false, rule: (name) => ({ name, operator: 'OR', keywords: [name] }) },
  ],
  [
    'complexity',
    {
      family: 'complexity',
      builtIn: false,
      rule: (name) => ({
        name: complexityRuleName(name),
        hard: { candidates: ['solve this step by step'] },
        easy: { candidates: ['answer briefly'] },
      }),
    },
  ],
  ['context', { family: 'context', builtIn: false, rule: (name) => ({ name, min_tokens: 0 }) }],
  [
    'embedding',
    { family: 'embeddings', builtIn: false, rule: (name) => ({ name, threshold: 0.75, candidates: [name] }) },
  ],
]);

/**
 * `routing.signals` declaring every referenced signal the base knows, one rule per family and name (complexity
 * levels of one rule share it). References of other types are left undeclared: the compiler names them.
 */
export function baseSignalsFor(references: readonly SignalReference[]): Record<string, unknown[]> {
  const signals: Record<string, unknown[]> = {};
  const declared = new Set<string>();
  for (const reference of references) {
    const base = FRAGMENT_BASE_SIGNALS.get(reference.type);
    if (!base) continue;
    const rule = base.rule(reference.name);
    const key = `${base.family}\u0000${String(rule.name)}`;
    if (declared.has(key)) continue;
    declared.add(key);
    signals[base.family] ??= [];
    signals[base.family]?.push(rule);
  }
  return signals;
}
