// `metadata` rules in vLLM Semantic Router's form, the comparator under `predicate:`, behave as the flat form;
// the peer's metadata fragment loads.

import { describe, expect, it } from 'vitest';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { metadataFamily } from '../../../src/signals/metadata.ts';
import { peerSignalRules, signalRulesPolicy } from '../../helpers/peer-fragment.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { evaluateFamily } from '../../helpers/signal-family.ts';

function matched(rule: Record<string, unknown>, metadata: Record<string, unknown>): boolean {
  return (
    evaluateFamily(
      metadataFamily,
      [{ name: 'r', key: 'consent', ...rule }],
      contextFor({ text: 'hi', metadata }),
    ).length > 0
  );
}

describe('metadata predicate form', () => {
  it.each([
    ['equals', { predicate: { equals: 'denied' } }, { consent: 'denied' }, true],
    ['equals, other value', { predicate: { equals: 'denied' } }, { consent: 'granted' }, false],
    ['in', { predicate: { in: ['denied', 'revoked'] } }, { consent: 'revoked' }, true],
    ['exists: false', { predicate: { exists: false } }, {}, true],
    ['exists: true', { predicate: { exists: true } }, { consent: 'x' }, true],
  ])('%s', (_, rule, metadata, expected) => {
    expect(matched(rule, metadata)).toBe(expected);
  });

  it('rejects two comparators, one flat and one under predicate', () => {
    expect(() =>
      metadataFamily.ruleSchema.parse({ name: 'r', key: 'k', equals: 'a', predicate: { exists: true } }),
    ).toThrow(/exactly one of equals, in, exists/);
  });

  it('rejects an unknown comparator under predicate', () => {
    expect(() =>
      metadataFamily.ruleSchema.parse({ name: 'r', key: 'k', predicate: { prefix: 'a' } }),
    ).toThrow();
  });
});

it("the peer's metadata fragment loads and routes on the caller's metadata", async () => {
  const rules = peerSignalRules('signal/metadata/routing-hints.yaml', 'metadata');
  const policy = await compilePolicyText(
    signalRulesPolicy('metadata', rules, [
      {
        name: 'local_only',
        rules: { operator: 'OR', conditions: [{ type: 'metadata', name: rules[0]?.name }] },
        modelRefs: [{ model: 'm' }],
      },
    ]),
    'routing-hints.yaml',
  );
  try {
    const denied = await policy.signals.evaluate(contextFor({ text: 'hi', metadata: { consent: 'denied' } }));
    const granted = await policy.signals.evaluate(
      contextFor({ text: 'hi', metadata: { consent: 'granted' } }),
    );
    expect(denied.matches.has('metadata:consent-denied')).toBe(true);
    expect(granted.matches.has('metadata:consent-denied')).toBe(false);
  } finally {
    policy.close();
  }
});
