// Decision leaves with the peer's rule-node extras: `predicate` bounds on a signal's score, `label` of a multi-label
// signal and a per-leaf `on_error` (including the peer's `no_match`).
import { describe, expect, it } from 'vitest';
import { explainRequest } from '../../../src/cli/explain.ts';
import { isUnsatisfiable, passesPredicate } from '../../../src/decisions/leaf-predicate.ts';
import { evaluateRule, type RuleNode } from '../../../src/decisions/rule-tree.ts';
import { PolicyError } from '../../../src/errors.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';

const leaf = (node: RuleNode): RuleNode => node;

function scored(name: string, confidence: number) {
  return new Map([[`classifier:${name}`, { name, confidence }]]);
}

describe('predicate bounds', () => {
  it('passes a score only when every bound holds', () => {
    expect(passesPredicate({ gte: 0.5 }, 0.5)).toBe(true);
    expect(passesPredicate({ gt: 0.5 }, 0.5)).toBe(false);
    expect(passesPredicate({ gt: 0.2, lt: 0.45 }, 0.3)).toBe(true);
    expect(passesPredicate({ gt: 0.2, lt: 0.45 }, 0.45)).toBe(false);
    expect(passesPredicate({ lte: 0.2 }, 0)).toBe(true);
  });

  it('knows bounds no score can pass', () => {
    expect(isUnsatisfiable({ gt: 0.8, lt: 0.2 })).toBe(true);
    expect(isUnsatisfiable({ gt: 0.5, lte: 0.5 })).toBe(true);
    expect(isUnsatisfiable({ gte: 0.5, lte: 0.5 })).toBe(false);
    expect(isUnsatisfiable({ gte: 0.5 })).toBe(false);
  });
});

describe('a leaf with a predicate', () => {
  const node = leaf({
    kind: 'signal',
    conditionType: 'classifier',
    name: 'risk',
    key: 'classifier:risk',
    predicate: { gte: 0.5 },
  });

  it('matches on the score passing the bound, with the score as confidence', () => {
    expect(evaluateRule(node, scored('risk', 0.7))).toEqual({ matched: true, confidence: 0.7 });
    expect(evaluateRule(node, scored('risk', 0.4))).toEqual({ matched: false, confidence: 0 });
  });

  it('reads a signal that did not fire as score 0', () => {
    const low = leaf({ ...node, predicate: { lt: 0.3 } } as RuleNode);
    expect(evaluateRule(low, new Map())).toEqual({ matched: true, confidence: 0 });
    expect(evaluateRule(node, new Map())).toEqual({ matched: false, confidence: 0 });
  });

  it('follows on_error, not the bound, when the signal failed', () => {
    const low = leaf({ ...node, predicate: { lt: 0.3 }, onError: 'skip' } as RuleNode);
    const failed = { matches: new Map(), failed: new Map([['classifier:risk', 'match' as const]]) };
    expect(evaluateRule(low, failed)).toEqual({ matched: false, confidence: 0 });
    expect(evaluateRule(node, failed)).toEqual({ matched: true, confidence: 1 });
  });
});

function policy(conditions: string, extraSignals = ''): string {
  return `version: v1
default_model: small
pools: [{ name: p, max_context_tokens: 32K }]
models:
  - { name: small, pools: [p] }
  - { name: large, pools: [p] }
routing:
  signals:
    keywords:
      - { name: urgent, operator: OR, keywords: [urgent, asap] }
${extraSignals}
  decisions:
    - name: guarded
      priority: 10
      rules:
        operator: AND
        conditions:
${conditions}
      modelRefs: [{ model: large }]
    - name: fallback
      priority: 1
      modelRefs: [{ model: small }]
`;
}

async function route(text: string, conditions: string): Promise<string | undefined> {
  const compiled = await compilePolicyText(policy(conditions), 'leaf.yaml');
  try {
    const body = new TextEncoder().encode(
      JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: text }] }),
    );
    const e = await explainRequest(compiled, 'leaf.yaml', body, new Map());
    return e.winner?.name;
  } finally {
    compiled.close();
  }
}

describe('predicate leaves in a policy', () => {
  const below = `          - type: keyword
            name: urgent
            predicate: { lt: 0.5 }
            on_error: no_match`;

  it('routes on the score bound: "lt 0.5" matches requests where the keyword is absent', async () => {
    expect(await route('please fix this asap', below)).toBe('fallback');
    expect(await route('a calm question about tea', below)).toBe('guarded');
  });

  it('accepts the peer’s on_error: no_match as skip', async () => {
    const compiled = await compilePolicyText(policy(below), 'leaf.yaml');
    const rule = compiled.decisions[0]?.rule;
    compiled.close();
    expect(rule).toMatchObject({ kind: 'and', children: [{ onError: 'skip', predicate: { lt: 0.5 } }] });
  });

  it('rejects an impossible predicate, a predicate on an operator and a label the signal does not score', async () => {
    const conditions = `          - type: keyword
            name: urgent
            predicate: { gt: 0.9, lt: 0.1 }
          - type: keyword
            name: urgent
            label: JAILBREAK
          - operator: OR
            predicate: { gte: 0.5 }
            conditions: [{ type: keyword, name: urgent }]`;
    const error = await compilePolicyText(policy(conditions), 'leaf.yaml').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    const issues = (error as PolicyError).issues.map((i) => `${i.path}: ${i.message}`);
    expect(issues).toEqual(
      expect.arrayContaining([
        'routing.decisions[0].rules.conditions[0].predicate: no score can pass this predicate',
        "routing.decisions[0].rules.conditions[1].label: keyword signal 'urgent' has no label 'JAILBREAK'",
        'routing.decisions[0].rules.conditions[2].predicate: predicate belongs on a leaf condition {type, name}, not on an operator',
      ]),
    );
  });

  it('rejects the predicates the peer rejects: both gt and gte, no bound', async () => {
    const conditions = `          - { type: keyword, name: urgent, predicate: { gt: 0.1, gte: 0.2 } }
          - { type: keyword, name: urgent, predicate: {} }`;
    const error = (await compilePolicyText(policy(conditions), 'leaf.yaml').catch(
      (e: unknown) => e,
    )) as PolicyError;
    expect(error.issues.map((i) => i.message)).toEqual([
      'a predicate cannot set both gt and gte',
      'a predicate needs at least one of gt, gte, lt, lte',
    ]);
  });

  it('rejects an on_error value the peer does not have, listing the ones it does', async () => {
    const conditions = `          - { type: keyword, name: urgent, on_error: ignore }`;
    const error = (await compilePolicyText(policy(conditions), 'leaf.yaml').catch(
      (e: unknown) => e,
    )) as PolicyError;
    expect(error.issues[0]?.message).toMatch(/on_error must be skip or no_match/);
  });
});
